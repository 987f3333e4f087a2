namespace Isthmus.IntegrationTests.Support;

/// <summary>A test class with its own Isthmus host running <see cref="Flows"/>, started before each test and stopped after.</summary>
public abstract class IsthmusTest(string flows) : IAsyncLifetime
{
    protected IsthmusApplication App { get; private set; } = null!;

    /// <summary>A flow <c>forward</c> that sends every event's data to the sink at <paramref name="path"/>.</summary>
    public static string Forward(string path, string events = "*") => $$"""
          forward:
            trigger: { connection: oa, event: "{{events}}" }
            steps:
              - action: send
                connection: sink
                method: POST
                path: "{{path}}"
                body: "=data"
        """;

    public async ValueTask InitializeAsync() => App = await IsthmusApplication.StartAsync(flows);

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
