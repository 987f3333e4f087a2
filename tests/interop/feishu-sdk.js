// The official @larksuiteoapi/node-sdk against Feishu endpoints at another address, and on Feishu's callbacks.
//   node feishu-sdk.js send <domain> <appId> <appSecret> <email> <text>
//     Client with a custom domain: tenant token, contact.v3.user.batchGetId, im.v1.message.create (text to the
//     user's open_id). Prints {"lookup": …, "sent": …}. A non-zero code from the API exits 1.
//   node feishu-sdk.js event <encryptKey> <verificationToken>        (stdin: {"headers": {…}, "body": "…"})
//     EventDispatcher checks X-Lark-Signature and decrypts the body; prints the im.message.receive_v1 event it
//     hands to the handler. A rejected signature or an undecryptable body exits 1.
'use strict';
const lark = require('@larksuiteoapi/node-sdk');
const { readStdin, finish } = require('./io');

const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };

function check(what, response) {
  if (!response || response.code !== 0) {
    throw new Error(`${what} answered ${JSON.stringify(response)}`);
  }
  return response;
}

async function send([domain, appId, appSecret, email, text]) {
  const client = new lark.Client({ appId, appSecret, domain, loggerLevel: lark.LoggerLevel.error, logger: quiet });
  const lookup = check('contact.v3.user.batchGetId', await client.contact.v3.user.batchGetId({
    params: { user_id_type: 'open_id' },
    data: { emails: [email] },
  }));
  const openId = lookup.data.user_list[0].user_id;
  if (!openId) throw new Error(`no user with email ${email}: ${JSON.stringify(lookup)}`);
  const sent = check('im.v1.message.create', await client.im.v1.message.create({
    params: { receive_id_type: 'open_id' },
    data: { receive_id: openId, msg_type: 'text', content: JSON.stringify({ text }) },
  }));
  return { lookup, sent };
}

async function event([encryptKey, verificationToken]) {
  const { headers, body } = JSON.parse(await readStdin());
  let received;
  const dispatcher = new lark.EventDispatcher({ encryptKey, verificationToken, loggerLevel: lark.LoggerLevel.error, logger: quiet })
    .register({ 'im.message.receive_v1': async (data) => { received = data; return 'handled'; } });
  // As the SDK's own HTTP adapters pass a request: the parsed body, with the headers on its prototype.
  const data = Object.assign(Object.create({ headers }), JSON.parse(body));
  const answer = await dispatcher.invoke(data);
  if (answer !== 'handled') {
    throw new Error(`the EventDispatcher did not hand the event over (signature or decryption failed): ${answer}`);
  }
  return received;
}

finish(async () => {
  const [command, ...args] = process.argv.slice(2);
  if (command === 'send') return send(args);
  if (command === 'event') return event(args);
  throw new Error(`unknown command '${command}'`);
});
