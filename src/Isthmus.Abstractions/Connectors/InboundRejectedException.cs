namespace Isthmus.Connectors;

/// <summary>Why an inbound call was refused; each maps to one HTTP status.</summary>
public enum InboundRejection
{
    /// <summary>400: the body is not what the connection expects (malformed JSON, missing id).</summary>
    Malformed,
    /// <summary>401: signature or token missing or wrong.</summary>
    Unauthorized,
    /// <summary>401: the timestamp is outside the tolerance window (possible replay).</summary>
    StaleTimestamp,
    /// <summary>413: the body exceeds the connection's limit.</summary>
    TooLarge,
    /// <summary>415: the content type is not accepted.</summary>
    UnsupportedMediaType,
}

/// <summary>Thrown by <see cref="IInboundConnector.ReceiveAsync"/> to refuse a call. The message is shown to the caller,
/// so it must be precise and contain no secret.</summary>
public sealed class InboundRejectedException(InboundRejection reason, string message) : Exception(message)
{
    /// <summary>The reason, used for the HTTP status and the <c>isthmus_events_rejected_total{reason}</c> metric.</summary>
    public InboundRejection Reason { get; } = reason;

    /// <summary>The HTTP status for <see cref="Reason"/>.</summary>
    public int StatusCode => Reason switch
    {
        InboundRejection.Malformed => 400,
        InboundRejection.TooLarge => 413,
        InboundRejection.UnsupportedMediaType => 415,
        _ => 401,
    };

    /// <summary>A stable snake_case name for <see cref="Reason"/>.</summary>
    public string ReasonCode => Reason switch
    {
        InboundRejection.Malformed => "malformed",
        InboundRejection.Unauthorized => "unauthorized",
        InboundRejection.StaleTimestamp => "stale_timestamp",
        InboundRejection.TooLarge => "too_large",
        _ => "unsupported_media_type",
    };
}
