// The official @slack/web-api WebClient against a Slack Web API at another address.
//   node slack-web-api.js <slackApiUrl> <botToken> <email> <text>
// Looks the user up by email, posts <text> (with a section block) to them, then edits that message; prints
// {"lookup": …, "posted": …, "updated": …} as the SDK returned them. Any ok:false makes the SDK throw: exit 1.
'use strict';
const { WebClient, LogLevel } = require('@slack/web-api');
const { finish } = require('./io');

finish(async () => {
  const [slackApiUrl, token, email, text] = process.argv.slice(2);
  const client = new WebClient(token, {
    slackApiUrl,
    allowAbsoluteUrls: false,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 30000,
    logLevel: LogLevel.ERROR,
  });
  const lookup = await client.users.lookupByEmail({ email });
  const posted = await client.chat.postMessage({
    channel: lookup.user.id,
    text,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*${text}*` } }],
  });
  const updated = await client.chat.update({ channel: posted.channel, ts: posted.ts, text: `${text} (edited)` });
  return { lookup, posted, updated };
});
