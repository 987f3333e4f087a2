using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Isthmus.Connections;
using Isthmus.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Isthmus.IntegrationTests.Api;

public sealed class IdentityApiTests() : IsthmusTest(Forward("/x"))
{
    [Fact]
    public async Task A_mapping_set_by_hand_is_listed_found_by_connectors_survives_and_can_be_removed()
    {
        var put = await App.Http.PutAsJsonAsync("/api/v1/identities", new { connection = "sink", kind = "external", value = "oa-42", userId = "ou_7" });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var directory = App.Services.GetRequiredService<StoredIdentityDirectory>();
        Assert.Equal("ou_7", await directory.FindAsync("sink", "external", "oa-42", default));
        await directory.SaveAsync("sink", "email", "li.wei@example.com", "ou_9", "lookup", default);

        var listed = await App.GetJsonAsync("/api/v1/identities?connection=sink");
        var rows = listed.EnumerateArray().Select(r => (r.GetProperty("kind").GetString(), r.GetProperty("userId").GetString(), r.GetProperty("source").GetString())).ToList();
        Assert.Contains(("external", "ou_7", "manual"), rows);
        Assert.Contains(("email", "ou_9", "lookup"), rows);

        var audit = await App.GetJsonAsync("/api/v1/audit");
        Assert.Contains(audit.EnumerateArray(), a => a.GetProperty("action").GetString() == "identity.set");

        var delete = await App.Http.DeleteAsync("/api/v1/identities?connection=sink&kind=external&value=oa-42");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Null(await directory.FindAsync("sink", "external", "oa-42", default));
        Assert.Equal(HttpStatusCode.NotFound, (await App.Http.DeleteAsync("/api/v1/identities?connection=sink&kind=external&value=oa-42")).StatusCode);
    }

    [Fact]
    public async Task A_mapping_for_an_unknown_connection_or_kind_is_refused_with_the_reason()
    {
        var noConnection = await App.Http.PutAsJsonAsync("/api/v1/identities", new { connection = "nope", kind = "email", value = "a@b", userId = "u" });
        Assert.Equal(HttpStatusCode.BadRequest, noConnection.StatusCode);
        Assert.Contains("No connection named 'nope'", await noConnection.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var badKind = await App.Http.PutAsJsonAsync("/api/v1/identities", new { connection = "sink", kind = "phone", value = "1", userId = "u" });
        Assert.Equal(HttpStatusCode.BadRequest, badKind.StatusCode);
        Assert.Contains("'kind' must be one of", await badKind.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var listed = await App.GetJsonAsync("/api/v1/identities");
        Assert.Equal(JsonValueKind.Array, listed.ValueKind);
        Assert.Equal(0, listed.GetArrayLength());
    }
}
