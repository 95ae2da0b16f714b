using System.Xml;
using System.Xml.Linq;

namespace CommEazy.PushGateway.Component;

/// <summary>The peer broke the XML stream rules or our limits; the link is closed (with <see cref="Condition"/> as the stream error).</summary>
internal sealed class XmppStreamException(string condition, string message) : Exception(message)
{
    /// <summary>The RFC 6120 stream error condition to close with, e.g. <c>policy-violation</c>.</summary>
    public string Condition { get; } = condition;
}

/// <summary>
/// Reads an XMPP stream as it arrives: the stream header, then one top-level element (stanza) at a time, built
/// from <see cref="XmlReader"/> events. Unlike <c>XNode.ReadFrom</c> it never reads past a stanza's end tag, so a
/// stanza is handed over as soon as its last byte arrives rather than when the next one starts. DTDs are refused;
/// a stanza larger than the byte limit, or nested deeper than <see cref="MaxDepth"/>, ends the stream.
/// </summary>
internal sealed class XmppStreamReader : IDisposable
{
    public const string StreamsNamespace = "http://etherx.jabber.org/streams";
    private const string XmlnsNamespace = "http://www.w3.org/2000/xmlns/";
    private const int MaxDepth = 32;

    // The most XmlReader is handed per read, hence the most it holds of what follows a stanza. An async XmlReader
    // asks for 32 KiB at a time: uncapped, the stanzas right behind the one being read were counted against it.
    private const int ReadAhead = 4096;

    private readonly CountingStream _input;
    private readonly XmlReader _reader;
    private bool _headerRead;

    public XmppStreamReader(Stream input, int maxStanzaBytes)
    {
        // XmlReader buffers at most one read ahead, so the count since a stanza began overshoots by at most that much.
        _input = new CountingStream(input, maxStanzaBytes + ReadAhead);
        _reader = XmlReader.Create(_input, new XmlReaderSettings
        {
            Async = true,
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            IgnoreWhitespace = true,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            MaxCharactersFromEntities = 1024,
            CloseInput = false,
        });
    }

    /// <summary>Reads the peer's <c>&lt;stream:stream&gt;</c> header and returns its attributes (e.g. <c>id</c>).</summary>
    public async Task<IReadOnlyDictionary<string, string>> ReadHeaderAsync()
    {
        var type = await Guard(_reader.MoveToContentAsync());
        if (type != XmlNodeType.Element || _reader.LocalName != "stream" || _reader.NamespaceURI != StreamsNamespace)
        {
            throw new XmppStreamException("invalid-namespace", "the peer did not open an XMPP stream");
        }
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        while (_reader.MoveToNextAttribute())
        {
            if (_reader.NamespaceURI != XmlnsNamespace)
            {
                attributes[_reader.LocalName] = _reader.Value;
            }
        }
        _reader.MoveToElement();
        _headerRead = true;
        return attributes;
    }

    /// <summary>The next stanza, or <see langword="null"/> when the peer closed the stream (or the connection).</summary>
    public async Task<XElement?> ReadStanzaAsync()
    {
        if (!_headerRead)
        {
            throw new InvalidOperationException("read the stream header first");
        }
        while (true)
        {
            _input.Mark();
            if (!await Guard(_reader.ReadAsync()))
            {
                return null;
            }
            switch (_reader.NodeType)
            {
                case XmlNodeType.Element when _reader.Depth == 1:
                    return await ReadElementAsync();
                case XmlNodeType.EndElement when _reader.Depth == 0:
                    return null; // </stream:stream>
                case XmlNodeType.Text or XmlNodeType.CDATA:
                    throw new XmppStreamException("not-well-formed", "text between stanzas");
                default:
                    continue;
            }
        }
    }

    private async Task<XElement> ReadElementAsync()
    {
        var root = StartElement();
        if (_reader.IsEmptyElement)
        {
            return root;
        }
        var open = new Stack<XElement>();
        open.Push(root);
        while (await Guard(_reader.ReadAsync()))
        {
            switch (_reader.NodeType)
            {
                case XmlNodeType.Element:
                    if (open.Count >= MaxDepth)
                    {
                        throw new XmppStreamException("policy-violation", $"stanza nested deeper than {MaxDepth} elements");
                    }
                    var child = StartElement();
                    open.Peek().Add(child);
                    if (!_reader.IsEmptyElement)
                    {
                        open.Push(child);
                    }
                    break;
                case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.SignificantWhitespace:
                    open.Peek().Add(new XText(await Guard(_reader.GetValueAsync())));
                    break;
                case XmlNodeType.EndElement:
                    open.Pop();
                    if (open.Count == 0)
                    {
                        return root; // Not one Read further: the next stanza may not have been sent yet.
                    }
                    break;
            }
        }
        throw new XmppStreamException("not-well-formed", "the stream ended inside a stanza");
    }

    private XElement StartElement()
    {
        var element = new XElement(XName.Get(_reader.LocalName, _reader.NamespaceURI));
        while (_reader.MoveToNextAttribute())
        {
            if (_reader.NamespaceURI == XmlnsNamespace)
            {
                continue; // declarations: names carry their namespaces already
            }
            element.SetAttributeValue(XName.Get(_reader.LocalName, _reader.NamespaceURI), _reader.Value);
        }
        _reader.MoveToElement();
        return element;
    }

    /// <summary>
    /// XmlReader reports malformed input as <see cref="XmlException"/>: the peer's fault, a stream error. The same
    /// exception for a connection that ended mid-stream is a lost connection instead.
    /// </summary>
    private async Task<T> Guard<T>(Task<T> read)
    {
        try
        {
            return await read.ConfigureAwait(false);
        }
        catch (XmlException e) when (_input.Ended)
        {
            throw new EndOfStreamException("the connection closed", e);
        }
        catch (XmlException e)
        {
            throw new XmppStreamException("not-well-formed", $"malformed XML at line {e.LineNumber}, position {e.LinePosition}");
        }
    }

    public void Dispose() => _reader.Dispose();

    /// <summary>
    /// Counts bytes read since the current stanza began and refuses to read more than <paramref name="limit"/> of
    /// them, so no single stanza (nor one huge attribute inside its start tag) can make XmlReader buffer without end.
    /// Hands over at most <see cref="ReadAhead"/> bytes per read, which bounds what is counted against a stanza
    /// but belongs to the ones after it.
    /// </summary>
    private sealed class CountingStream(Stream inner, long limit) : Stream
    {
        private long _total;
        private long _mark;

        public bool Ended { get; private set; }

        public void Mark() => _mark = _total;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, ReadAhead)], cancellationToken).ConfigureAwait(false);
            Count(read);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, Math.Min(count, ReadAhead));
            Count(read);
            return read;
        }

        private void Count(int read)
        {
            Ended |= read == 0;
            _total += read;
            if (_total - _mark > limit)
            {
                throw new XmppStreamException("policy-violation", $"stanza larger than {limit - ReadAhead} bytes");
            }
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
