namespace Isthmus.Api;

/// <summary>
/// Requires an API key (<c>Authorization: Bearer &lt;key&gt;</c> or <c>X-Api-Key</c>) on every API call; viewers may only read.
/// </summary>
internal sealed class ApiKeyFilter(ApiKeys keys) : IEndpointFilter
{
    public const string ActorItem = "isthmus.actor";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var presented = http.Request.Headers["X-Api-Key"].ToString();
        if (presented.Length == 0 && http.Request.Headers.Authorization.ToString() is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presented = auth["Bearer ".Length..].Trim();
        }

        if (presented.Length == 0)
        {
            return Results.Problem(statusCode: 401, title: "missing API key",
                detail: "Send an API key as 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'. The first admin key is printed once when Isthmus starts on an empty store.");
        }

        var key = await keys.FindAsync(presented, http.RequestAborted);
        if (key is null)
        {
            return Results.Problem(statusCode: 401, title: "unknown API key", detail: "This API key is not known (it may have been deleted).");
        }

        if (key.Role != ApiKeys.Admin && !HttpMethods.IsGet(http.Request.Method))
        {
            return Results.Problem(statusCode: 403, title: "forbidden", detail: $"The key '{key.Name}' has role '{key.Role}', which may only read; this action needs 'admin'.");
        }

        http.Items[ActorItem] = $"key:{key.Name}";
        return await next(context);
    }
}
