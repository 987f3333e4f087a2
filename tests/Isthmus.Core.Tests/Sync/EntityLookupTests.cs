using System.Diagnostics;
using System.Text.Json.Nodes;
using Isthmus.Expressions;
using Isthmus.Sync;

namespace Isthmus.Core.Tests.Sync;

/// <summary><c>findEntity()</c> and <c>linkedEntity()</c>: the model's entities and links, read from the sync store.</summary>
public sealed class EntityLookupTests
{
    private const string Yaml = """
        connections:
          oa: { kind: fake }
        entities:
          Project:
            fields:
              name: { type: string, required: true }
              progress: number
              status: { type: enum, values: [active, done] }
              chatGroup: string
              owner: string
            match: [chatGroup]
            mappings:
              oa:
                records: projects
                direction: in
                fields: { name: title, progress: pct, status: state, chatGroup: im_group, owner: owner }
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_project_is_found_by_its_chat_group_with_its_fields_and_its_oa_link()
    {
        await using var h = await StartAsync();
        var lookup = new EntityLookup(h.Store, h.Active.Config.Model, Ct);

        var project = lookup.Find("Project", "chatGroup", JsonValue.Create("cidApollo"))!;

        Assert.Equal("Apollo", (string?)project["name"]);
        Assert.Equal(40, (int)project["progress"]!);
        Assert.Equal("cidApollo", (string?)project["chatGroup"]);
        Assert.Null(project["owner"]);
        Assert.Equal("""{"oa":"P-1"}""", project["links"]!.ToJsonString());
        Assert.Equal((string?)project["id"], (string?)lookup.Find("Project", "id", project["id"]!.DeepClone())!["id"]);
        Assert.Equal((string?)project["id"], (string?)lookup.FindLinked("Project", "oa", "P-1")!["id"]);
    }

    [Fact]
    public async Task The_value_is_compared_as_identity_matching_does_and_an_unknown_one_finds_nothing()
    {
        await using var h = await StartAsync();
        var lookup = new EntityLookup(h.Store, h.Active.Config.Model, Ct);

        Assert.Equal("Apollo", (string?)lookup.Find("Project", "chatGroup", JsonValue.Create(" CIDAPOLLO "))!["name"]);
        Assert.Null(lookup.Find("Project", "chatGroup", JsonValue.Create("cidNobody")));
        Assert.Null(lookup.Find("Project", "chatGroup", null));
        Assert.Null(lookup.Find("Project", "id", JsonValue.Create("no-such-id")));
        Assert.Null(lookup.FindLinked("Project", "oa", "P-404"));
    }

    [Fact]
    public async Task A_changed_group_moves_the_index_and_a_deleted_project_is_not_found()
    {
        await using var h = await StartAsync();
        h.Systems["oa"].Edit("P-1", new JsonObject { ["im_group"] = "cidApollo2" });
        await h.DeliverAsync("Project", "oa");

        var lookup = new EntityLookup(h.Store, h.Active.Config.Model, Ct);
        Assert.Null(lookup.Find("Project", "chatGroup", JsonValue.Create("cidApollo")));
        Assert.Equal("Apollo", (string?)lookup.Find("Project", "chatGroup", JsonValue.Create("cidApollo2"))!["name"]);

        h.Systems["oa"].Delete("P-1");
        await h.DeliverAsync("Project", "oa");
        Assert.Null(new EntityLookup(h.Store, h.Active.Config.Model, Ct).FindLinked("Project", "oa", "P-1"));
    }

    [Fact]
    public async Task Questions_the_model_cannot_answer_say_what_to_write_instead()
    {
        await using var h = await StartAsync();
        var lookup = new EntityLookup(h.Store, h.Active.Config.Model, Ct);

        Assert.Equal("there is no entity 'Projet'; declared: Project",
            Assert.Throws<EntityLookupException>(() => lookup.Find("Projet", "chatGroup", JsonValue.Create("x"))).Message);
        Assert.Equal("entity Project has no field 'chatgroup'; did you mean 'chatGroup'?",
            Assert.Throws<EntityLookupException>(() => lookup.Find("Project", "chatgroup", JsonValue.Create("x"))).Message);
        Assert.Equal("Project.owner is not indexed for lookups: add \"match: [owner]\" to entity Project (a match rule of that field alone), or look up by 'id'",
            Assert.Throws<EntityLookupException>(() => lookup.Find("Project", "owner", JsonValue.Create("x"))).Message);
        Assert.Equal("entity Project has no mapping to connection 'crm'; it maps to oa",
            Assert.Throws<EntityLookupException>(() => lookup.FindLinked("Project", "crm", "1")).Message);
    }

    [Fact]
    public async Task Flow_expressions_call_it_and_see_null_for_a_group_of_no_project()
    {
        await using var h = await StartAsync();
        var engine = h.Active.Config.Expressions;
        var input = new ExpressionInput(new JsonObject(), """{"chat":{"id":"cidApollo"},"other":"cidNobody"}"""u8.ToArray(), DateTimeOffset.UtcNow)
        {
            Entities = new EntityLookup(h.Store, h.Active.Config.Model, Ct),
        };
        using var scope = engine.CreateScope(input);

        Assert.Equal("P-1", (string?)scope.Evaluate(Compile(engine, "findEntity('Project', 'chatGroup', data.chat.id).links.oa")));
        Assert.Equal(40L, (long)scope.Evaluate(Compile(engine, "linkedEntity('Project', 'oa', 'P-1')?.progress"))!);
        Assert.True(scope.Test(Compile(engine, "findEntity('Project', 'chatGroup', data.other) == null")));
        Assert.True(scope.Test(Compile(engine, "findEntity('Project', 'chatGroup', data.missing) == null")));
        var wrong = Assert.Throws<ExpressionException>(() => scope.Evaluate(Compile(engine, "findEntity('Project', 'owner', 'x')")));
        Assert.Contains("findEntity: Project.owner is not indexed for lookups", wrong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Outside_flows_the_functions_are_an_error_that_says_so()
    {
        await using var h = await StartAsync();
        var engine = h.Active.Config.Expressions;
        using var scope = engine.CreateScope(new ExpressionInput(new JsonObject(), ReadOnlyMemory<byte>.Empty, DateTimeOffset.UtcNow));

        var ex = Assert.Throws<ExpressionException>(() => scope.Evaluate(Compile(engine, "findEntity('Project', 'chatGroup', 'x')")));

        Assert.Contains("findEntity() reads the model's entities and works in flows only", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_that_cannot_answer_stops_the_evaluation_as_a_store_failure_not_as_a_failed_expression()
    {
        await using var h = await StartAsync();
        var engine = h.Active.Config.Expressions;
        var input = new ExpressionInput(new JsonObject(), "{}"u8.ToArray(), DateTimeOffset.UtcNow)
        {
            Entities = new EntityLookup(FailingSyncStore.Create(), h.Active.Config.Model, Ct),
        };
        using (var scope = engine.CreateScope(input))
        {
            var ex = Assert.Throws<EntityLookupUnavailableException>(() => scope.Test(Compile(engine, "findEntity('Project', 'chatGroup', 'cidApollo') != null")));
            Assert.Equal("the sync store could not answer an entity lookup: database is locked", ex.Message);
        }

        // The engine that was interrupted is not reused; the next scope evaluates normally.
        using var next = engine.CreateScope(input with { Entities = new EntityLookup(h.Store, h.Active.Config.Model, Ct) });
        Assert.True(next.Test(Compile(engine, "findEntity('Project', 'chatGroup', 'cidApollo') != null")));
    }

    [Fact]
    public async Task A_repeated_question_is_answered_from_what_the_run_already_read()
    {
        await using var h = await StartAsync();
        for (var i = 2; i <= 200; i++)
        {
            h.Systems["oa"].Edit($"P-{i}", new JsonObject { ["title"] = $"Project {i}", ["im_group"] = $"cid{i}" });
        }

        await h.DeliverAsync("Project", "oa");
        var model = h.Active.Config.Model;

        // Not a timed assertion: the numbers go to the test output for the documentation.
        var watch = Stopwatch.StartNew();
        for (var i = 2; i <= 200; i++)
        {
            Assert.Equal($"Project {i}", (string?)new EntityLookup(h.Store, model, Ct).Find("Project", "chatGroup", JsonValue.Create($"cid{i}"))!["name"]);
        }

        var cold = watch.Elapsed / 199;
        var lookup = new EntityLookup(h.Store, model, Ct);
        var first = lookup.Find("Project", "chatGroup", JsonValue.Create("cid7"));
        watch.Restart();
        for (var i = 0; i < 1000; i++)
        {
            Assert.Same(first, lookup.Find("Project", "chatGroup", JsonValue.Create("cid7")));
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"findEntity over 200 projects: {cold.TotalMicroseconds:0} µs from the store, {watch.Elapsed.TotalMicroseconds / 1000:0.0} µs when repeated in a run");
    }

    private static async Task<SyncHarness> StartAsync()
    {
        var h = await SyncHarness.StartAsync(Yaml, "oa");
        h.Systems["oa"].Edit("P-1", new JsonObject { ["title"] = "Apollo", ["pct"] = 40, ["state"] = "active", ["im_group"] = "cidApollo" });
        await h.DeliverAsync("Project", "oa");
        return h;
    }

    private static Expression Compile(ExpressionEngine engine, string source)
    {
        var errors = new List<Isthmus.Configuration.ConfigError>();
        var expression = engine.Compile(source, Isthmus.Configuration.SourceLocation.None, errors);
        Assert.Empty(errors);
        return expression!;
    }
}

/// <summary>A sync store whose every call fails, as a locked or lost database would.</summary>
public class FailingSyncStore : System.Reflection.DispatchProxy
{
    public static Isthmus.Storage.ISyncStore Create() => Create<Isthmus.Storage.ISyncStore, FailingSyncStore>();

    protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args) => throw new IOException("database is locked");
}
