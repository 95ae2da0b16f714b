namespace CommEazy.Edge;

/// <summary>The Edge's log events (1xxx). Never a token, JID or user key in a message.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "WebSocket request refused: {Reason}")]
    public static partial void WebSocketRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "Edge routing to {NodeCount} Prosody nodes; public port {PublicPort}")]
    public static partial void Started(ILogger logger, int nodeCount, int publicPort);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Debug, Message = "Refused {Method} {Path}: not a public path")]
    public static partial void PathRefused(ILogger logger, string method, string path);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Cluster membership: {Members}")]
    public static partial void MembershipChanged(ILogger logger, string members);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Cannot read the cluster membership from PostgreSQL ({Reason}); keeping the last view until it expires")]
    public static partial void MembershipUnreadable(ILogger logger, string reason);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Node {NodeId} did not take a WebSocket connection in time")]
    public static partial void NodeDidNotAnswer(ILogger logger, string nodeId);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Debug, Message = "Connection to {NodeId} ended: {Ending}")]
    public static partial void ConnectionEnded(ILogger logger, string nodeId, string ending);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Debug, Message = "Connection refused: its client address already holds {Limit} connections")]
    public static partial void TooManyConnections(ILogger logger, int limit);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Admin request {Method} {Path} refused: {Reason}")]
    public static partial void AdminRefused(ILogger logger, string method, string path, string reason);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "Admin asked node {NodeId} to {Action}: HTTP {StatusCode}")]
    public static partial void NodeAdminAction(ILogger logger, string action, string nodeId, int statusCode);
}
