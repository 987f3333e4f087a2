using System.Text;
using System.Text.Json;
using Isthmus.Connectors.Chat;
using Microsoft.Extensions.Time.Testing;

namespace Isthmus.Connectors.Tests.Chat;

public sealed class AccessTokenCacheTests
{
    [Fact]
    public async Task Fetches_once_reuses_until_shortly_before_expiry_then_refreshes()
    {
        var time = new FakeTimeProvider();
        var issued = 0;
        using var cache = new AccessTokenCache(_ => Task.FromResult(new AccessToken($"t{++issued}", TimeSpan.FromSeconds(7200))), time);

        Assert.Equal("t1", await cache.GetAsync(default));
        time.Advance(TimeSpan.FromSeconds(6000));
        Assert.Equal("t1", await cache.GetAsync(default));
        time.Advance(TimeSpan.FromSeconds(901)); // within the last five minutes
        Assert.Equal("t2", await cache.GetAsync(default));
        Assert.Equal(2, cache.Fetches);
    }

    [Fact]
    public async Task A_token_the_platform_rejected_is_fetched_anew_but_a_newer_one_is_kept()
    {
        var issued = 0;
        using var cache = new AccessTokenCache(_ => Task.FromResult(new AccessToken($"t{++issued}", TimeSpan.FromHours(2))), new FakeTimeProvider());

        var first = await cache.GetAsync(default);
        cache.Invalidate(first);
        var second = await cache.GetAsync(default);
        cache.Invalidate(first); // a late report about the old token
        Assert.Equal(("t1", "t2", "t2"), (first, second, await cache.GetAsync(default)));
    }

    [Fact]
    public async Task A_call_whose_token_is_refused_is_made_once_more_with_a_fresh_token_and_no_more()
    {
        var issued = 0;
        using var cache = new AccessTokenCache(_ => Task.FromResult(new AccessToken($"t{++issued}", TimeSpan.FromHours(2))), new FakeTimeProvider());
        var used = new List<string>();

        var refusedOnce = await cache.CallAsync(token => { used.Add(token); return Task.FromResult(used.Count == 1 ? "expired" : "ok"); }, a => a == "expired", default);
        Assert.Equal("ok", refusedOnce);
        Assert.Equal(["t1", "t2"], used);

        used.Clear();
        var refusedTwice = await cache.CallAsync(token => { used.Add(token); return Task.FromResult("expired"); }, a => a == "expired", default);
        Assert.Equal("expired", refusedTwice);
        Assert.Equal(["t2", "t3"], used);

        used.Clear();
        Assert.Equal("ok", await cache.CallAsync(token => { used.Add(token); return Task.FromResult("ok"); }, a => a == "expired", default));
        Assert.Equal(["t3"], used);
    }

    [Fact]
    public async Task Concurrent_callers_share_one_fetch()
    {
        var gate = new TaskCompletionSource();
        var fetches = 0;
        using var cache = new AccessTokenCache(async _ =>
        {
            Interlocked.Increment(ref fetches);
            await gate.Task;
            return new AccessToken("t", TimeSpan.FromHours(2));
        }, new FakeTimeProvider());

        var callers = Enumerable.Range(0, 8).Select(_ => cache.GetAsync(default).AsTask()).ToList();
        gate.SetResult();
        Assert.All(await Task.WhenAll(callers), t => Assert.Equal("t", t));
        Assert.Equal(1, fetches);
    }
}

public sealed class RecipientTests
{
    private static ActionPayload Payload(string json) =>
        ActionPayload.Of(new Delivery(1, "chat", "send-text", Encoding.UTF8.GetBytes(json), "k", 1, null));

    [Fact]
    public void Reads_exactly_one_kind_and_explains_what_is_wrong()
    {
        Assert.Equal(new Recipient("email", "li.wei@example.com"), Recipient.Read(Payload("""{"to":{"email":"li.wei@example.com"}}""")));
        Assert.Equal(new Recipient("employeeId", "1001"), Recipient.Read(Payload("""{"to":{"employeeId":1001}}""")));

        var two = Assert.Throws<ConnectorException>(() => Recipient.Read(Payload("""{"to":{"email":"a@b","user":"u"}}""")));
        Assert.Equal(FailureKind.Rejected, two.Kind);
        Assert.Contains("exactly one of", two.Message, StringComparison.Ordinal);
        Assert.Contains("'to' is required", Assert.Throws<ConnectorException>(() => Recipient.Read(Payload("{}"))).Message, StringComparison.Ordinal);
        Assert.Contains("'to.user' is empty", Assert.Throws<ConnectorException>(() => Recipient.Read(Payload("""{"to":{"user":""}}"""))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Looks_a_person_up_once_and_remembers_the_answer()
    {
        var directory = new InMemoryIdentityDirectory();
        var lookups = 0;
        var resolver = new RecipientResolver("feishu", directory, (kind, value, _) =>
        {
            lookups++;
            return Task.FromResult(kind == "email" && value == "li.wei@example.com" ? "ou_1" : null);
        });

        Assert.Equal("ou_1", await resolver.UserIdAsync(new Recipient("email", "li.wei@example.com"), default));
        Assert.Equal("ou_1", await resolver.UserIdAsync(new Recipient("email", "li.wei@example.com"), default));
        Assert.Equal(1, lookups);
        Assert.Equal("ou_1", await directory.FindAsync("feishu", "email", "li.wei@example.com", default));
        Assert.Equal("u9", await resolver.UserIdAsync(new Recipient("user", "u9"), default));

        var nobody = await Assert.ThrowsAsync<ConnectorException>(() => resolver.UserIdAsync(new Recipient("mobile", "13800000000"), default).AsTask());
        Assert.Equal(FailureKind.Rejected, nobody.Kind);
        Assert.Contains("no user of 'feishu' has mobile '13800000000'", nobody.Message, StringComparison.Ordinal);

        var unmapped = await Assert.ThrowsAsync<ConnectorException>(() => resolver.UserIdAsync(new Recipient("external", "oa-7"), default).AsTask());
        Assert.Contains("PUT /api/v1/identities", unmapped.Message, StringComparison.Ordinal);
        await directory.SaveAsync("feishu", "external", "oa-7", "ou_7", "manual", default);
        Assert.Equal("ou_7", await resolver.UserIdAsync(new Recipient("external", "oa-7"), default));
    }
}

public sealed class ApprovalCardTests
{
    private static ActionPayload Payload(string json) =>
        ActionPayload.Of(new Delivery(1, "chat", "send-card", Encoding.UTF8.GetBytes(json), "k", 1, null));

    [Fact]
    public void Reads_fields_in_both_shapes_and_defaults_to_approve_and_reject()
    {
        var card = ApprovalCard.Read(Payload("""{"card":{"id":"PR-1","title":"Purchase","fields":{"Amount":120000.50,"Urgent":true}}}"""));
        Assert.Equal([new CardField("Amount", "120000.50"), new CardField("Urgent", "yes")], card.Fields);
        Assert.Equal(["approve", "reject"], card.Buttons.Select(b => b.Action));
        Assert.False(card.AskComment);

        var listed = ApprovalCard.Read(Payload("""{"card":{"id":"PR-1","title":"T","fields":[{"label":"Who","value":"Li Wei"}],"buttons":[{"action":"ack","text":"OK"}],"askComment":true,"status":"Approved"}}"""));
        Assert.Equal([new CardField("Who", "Li Wei")], listed.Fields);
        Assert.Equal([new CardButton("ack", "OK", "default")], listed.Buttons);
        Assert.True(listed.AskComment);
        Assert.Contains("**Approved**", listed.ToMarkdown(), StringComparison.Ordinal);
    }

    [Fact]
    public void Carries_its_context_in_each_button_and_reads_it_back()
    {
        var card = ApprovalCard.Read(Payload("""{"card":{"id":"PR-1","title":"T","context":{"requesterEmail":"zhang.min@example.com","amount":12}}}"""));
        var value = card.ButtonValue(card.Buttons[1]);
        Assert.Equal(("PR-1", "reject", "zhang.min@example.com", "12"), (value["cardId"], value["action"], value["requesterEmail"], value["amount"]));

        var back = ApprovalCard.ContextOf(JsonSerializer.SerializeToElement(value));
        Assert.Equal(new Dictionary<string, string> { ["requesterEmail"] = "zhang.min@example.com", ["amount"] = "12" }, back);
        Assert.Null(ApprovalCard.ContextOf(JsonSerializer.SerializeToElement(new { cardId = "x", action = "approve" })));
    }

    [Theory]
    [InlineData("""{"card":{"id":"1","title":"T","context":{"cardId":"x"}}}""", "may not use the name 'cardId'")]
    [InlineData("""{"card":{"id":"1","title":"T","context":[1]}}""", "'context' must be a map")]
    [InlineData("""{}""", "'card' is required")]
    [InlineData("""{"card":{"title":"T"}}""", "'id' is required")]
    [InlineData("""{"card":{"id":"1","title":"T","fields":"x"}}""", "'fields' must be")]
    [InlineData("""{"card":{"id":"1","title":"T","buttons":[]}}""", "1 to 5")]
    [InlineData("""{"card":{"id":"1","title":"T","buttons":[{"text":"x"}]}}""", "needs 'action'")]
    public void Refuses_a_malformed_card_with_the_argument_named(string json, string expected)
    {
        var error = Assert.Throws<ConnectorException>(() => ApprovalCard.Read(Payload(json)));
        Assert.Equal(FailureKind.Rejected, error.Kind);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}

public sealed class SendRateLimiterTests
{
    [Fact]
    public async Task Holds_sends_beyond_the_limit_until_the_window_has_room_and_keeps_keys_apart()
    {
        await using var limiter = new SendRateLimiter(2, TimeSpan.FromMilliseconds(300));

        await limiter.WaitAsync("bot-a", default);
        await limiter.WaitAsync("bot-a", default);
        var third = limiter.WaitAsync("bot-a", default).AsTask();
        await limiter.WaitAsync("bot-b", default); // another bot has its own budget

        Assert.False(third.IsCompleted);
        await third.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task No_window_of_the_given_length_ever_holds_more_sends_than_allowed()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UnixEpoch);
        await using var limiter = new SendRateLimiter(3, TimeSpan.FromSeconds(1), time);
        var sent = new List<TimeSpan>();
        async Task SendAt(double seconds)
        {
            time.SetUtcNow(DateTimeOffset.UnixEpoch + TimeSpan.FromSeconds(seconds));
            await limiter.WaitAsync("bot", default);
            sent.Add(time.GetUtcNow() - DateTimeOffset.UnixEpoch);
        }

        await SendAt(0);
        await SendAt(0.5);
        await SendAt(0.9);
        var fourth = limiter.WaitAsync("bot", default).AsTask();
        time.Advance(TimeSpan.FromSeconds(0.09)); // t = 0.99: the send at 0 still counts
        Assert.False(fourth.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(0.01)); // t = 1.0: it has left the window
        await fourth.WaitAsync(TimeSpan.FromSeconds(10));
        var fifth = limiter.WaitAsync("bot", default).AsTask();
        time.Advance(TimeSpan.FromSeconds(0.49));
        Assert.False(fifth.IsCompleted); // the sends at 0.5, 0.9 and 1.0 fill the window until 1.5
        time.Advance(TimeSpan.FromSeconds(0.01));
        await fifth.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([0, 0.5, 0.9], sent.Select(t => t.TotalSeconds));
    }
}

public sealed class ChatEventsTests
{
    [Fact]
    public void Normalized_events_carry_the_documented_shape()
    {
        var draft = ChatEvents.Action("evt-1", new CardAction("slack", "approve", null, "PR-1", new ChatUser("U1", "Li Wei"),
            new ChatRef("C1", "group"), new CardMessageRef("1700000000.0001", "C1"), "ok"), null);

        Assert.Equal(("evt-1", "card.action", "PR-1"), (draft.Id, draft.Type, draft.Key));
        var data = JsonDocument.Parse(draft.Data).RootElement;
        Assert.Equal("approve", data.GetProperty("action").GetString());
        Assert.Equal("Li Wei", data.GetProperty("user").GetProperty("name").GetString());
        Assert.Equal("C1", data.GetProperty("message").GetProperty("chatId").GetString());
        Assert.False(data.TryGetProperty("value", out _));
    }
}
