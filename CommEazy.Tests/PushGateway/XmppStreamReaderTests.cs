using System.IO.Pipelines;
using System.Text;
using CommEazy.PushGateway.Component;

namespace CommEazy.Tests.PushGateway;

/// <summary>The stream reader hands over each stanza as soon as it is complete and refuses what a peer must not send.</summary>
public sealed class XmppStreamReaderTests
{
    private const string Header = "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept' id='s1'>";

    [Fact]
    public async Task ReadStanzaAsync_StanzaComplete_ReturnsBeforeAnyFurtherByteArrives()
    {
        // Arrange: a pipe that is never completed, like a socket that stays open.
        var pipe = new Pipe();
        using var reader = new XmppStreamReader(pipe.Reader.AsStream(), 65536);
        await Write(pipe, Header);
        var header = await reader.ReadHeaderAsync();

        // Act
        await Write(pipe, "<iq type='get' id='a1'><ping xmlns='urn:xmpp:ping'/></iq>");
        var stanza = await reader.ReadStanzaAsync().WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal("s1", header["id"]);
        Assert.Equal(Ns.Component + "iq", stanza!.Name);
        Assert.Equal("a1", stanza.Attr("id"));
        Assert.NotNull(stanza.Element(Ns.Ping + "ping"));
    }

    [Fact]
    public async Task ReadStanzaAsync_WhitespaceKeepalivesAndTwoStanzasInOneWrite_ReturnsBothInOrder()
    {
        // Arrange
        var pipe = new Pipe();
        using var reader = new XmppStreamReader(pipe.Reader.AsStream(), 65536);
        await Write(pipe, Header);
        await reader.ReadHeaderAsync();

        // Act
        await Write(pipe, "  \n <iq id='1' type='result'/> <iq id='2' type='result'><x xmlns='y'>text &amp; more</x></iq>");
        var first = await reader.ReadStanzaAsync();
        var second = await reader.ReadStanzaAsync().WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        // Assert
        Assert.Equal("1", first!.Attr("id"));
        Assert.Equal("2", second!.Attr("id"));
        Assert.Equal("text & more", second!.Elements().Single().Value);
    }

    [Fact]
    public async Task ReadStanzaAsync_StreamClosed_ReturnsNull()
    {
        // Arrange
        var pipe = new Pipe();
        using var reader = new XmppStreamReader(pipe.Reader.AsStream(), 65536);
        await Write(pipe, Header);
        await reader.ReadHeaderAsync();

        // Act
        await Write(pipe, "</stream:stream>");

        // Assert
        Assert.Null(await reader.ReadStanzaAsync());
    }

    // XmlReader reads a little past a mismatched end tag before it reports it, so each case is followed by more
    // of the stream, as it would be on a live link (where an unanswered ping ends a link stuck on broken XML).
    [Theory]
    [InlineData("<iq><unclosed></iq> <iq/>", "not-well-formed")]
    [InlineData("<!DOCTYPE x [<!ENTITY a 'b'>]><iq/> <iq/>", "not-well-formed")]
    [InlineData("stray text<iq/> <iq/>", "not-well-formed")]
    public async Task ReadStanzaAsync_BrokenXml_ThrowsStreamError(string xml, string condition)
    {
        // Arrange
        var pipe = new Pipe();
        using var reader = new XmppStreamReader(pipe.Reader.AsStream(), 65536);
        await Write(pipe, Header);
        await reader.ReadHeaderAsync();

        // Act
        await Write(pipe, xml);
        var error = await Assert.ThrowsAsync<XmppStreamException>(reader.ReadStanzaAsync);

        // Assert
        Assert.Equal(condition, error.Condition);
    }

    [Fact]
    public async Task ReadStanzaAsync_StanzaOverTheLimit_ThrowsPolicyViolationWithoutBufferingIt()
    {
        // Arrange: one huge attribute inside a start tag, which XmlReader would otherwise buffer whole.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19));
        using var reader = new XmppStreamReader(pipe.Reader.AsStream(), 8192);
        await Write(pipe, Header);
        await reader.ReadHeaderAsync();

        // Act
        var read = reader.ReadStanzaAsync();
        await Write(pipe, "<iq id='" + new string('a', 64 * 1024));
        var error = await Assert.ThrowsAsync<XmppStreamException>(() => read);

        // Assert
        Assert.Equal("policy-violation", error.Condition);
    }

    [Fact]
    public async Task ReadStanzaAsync_ManyStanzasWithinTheLimitInOneWrite_ReturnsThemAll()
    {
        // Arrange: 40 KiB of 1 KiB stanzas at once, as a burst of publishes arrives on a busy link.
        var pipe = new Pipe();
        using var reader = new XmppStreamReader(pipe.Reader.AsStream(), 8192);
        await Write(pipe, Header);
        await reader.ReadHeaderAsync();
        var body = new string('x', 1000);

        // Act
        await Write(pipe, string.Concat(Enumerable.Range(0, 40).Select(i => $"<message id='m{i}'><body>{body}</body></message>")));
        var ids = new List<string?>();
        for (var i = 0; i < 40; i++)
        {
            ids.Add((await reader.ReadStanzaAsync())?.Attr("id"));
        }

        // Assert
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"m{i}"), ids);
    }

    [Fact]
    public async Task ReadStanzaAsync_StanzaOverTheLimitRightBehindAGoodOne_ReturnsTheGoodOneThenThrowsPolicyViolation()
    {
        // Arrange: both in one write, as a handshake answer and the next stanza can arrive in one segment.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19));
        using var reader = new XmppStreamReader(pipe.Reader.AsStream(), 8192);
        await Write(pipe, Header);
        await reader.ReadHeaderAsync();

        // Act
        await Write(pipe, $"<handshake/><message><body>{new string('x', 64 * 1024)}</body></message>");
        var first = await reader.ReadStanzaAsync();
        var error = await Assert.ThrowsAsync<XmppStreamException>(reader.ReadStanzaAsync);

        // Assert
        Assert.Equal(Ns.Component + "handshake", first!.Name);
        Assert.Equal("policy-violation", error.Condition);
    }

    [Fact]
    public async Task ReadStanzaAsync_NestedTooDeep_ThrowsPolicyViolation()
    {
        // Arrange
        var pipe = new Pipe();
        using var reader = new XmppStreamReader(pipe.Reader.AsStream(), 65536);
        await Write(pipe, Header);
        await reader.ReadHeaderAsync();

        // Act
        await Write(pipe, "<iq>" + string.Concat(Enumerable.Repeat("<a>", 40)) + string.Concat(Enumerable.Repeat("</a>", 40)) + "</iq>");
        var error = await Assert.ThrowsAsync<XmppStreamException>(reader.ReadStanzaAsync);

        // Assert
        Assert.Equal("policy-violation", error.Condition);
    }

    [Fact]
    public async Task ReadHeaderAsync_NotAnXmppStream_ThrowsInvalidNamespace()
    {
        // Arrange
        var pipe = new Pipe();
        using var reader = new XmppStreamReader(pipe.Reader.AsStream(), 65536);

        // Act
        await Write(pipe, "<html><body>");
        var error = await Assert.ThrowsAsync<XmppStreamException>(reader.ReadHeaderAsync);

        // Assert
        Assert.Equal("invalid-namespace", error.Condition);
    }

    private static async Task Write(Pipe pipe, string text)
    {
        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes(text), TestContext.Current.CancellationToken);
        await pipe.Writer.FlushAsync(TestContext.Current.CancellationToken);
    }
}
