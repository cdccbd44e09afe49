using System.Globalization;
using System.Text;

namespace Spindle.Jobs;

/// <summary>
/// A job's command with GNU parallel's replacement strings ({} {.} {/} {//} {/.} {#} {%} {n} {n.} ...), rendered
/// per job with each argument shell-quoted the way GNU parallel quotes it.
/// </summary>
internal sealed class CommandTemplate
{
    private readonly List<Segment>[] _words;
    private readonly JobCommandMode _mode;
    private readonly bool _hasReplacement;
    private readonly DirectExec _directExec = new();

    /// <param name="words">The command's words.</param>
    /// <param name="mode">Shell line, quoted words, or no shell.</param>
    /// <param name="plus">Whether --plus's replacement strings ({..} {##} {0#} {%re} {/re/str} ...) are on.</param>
    public CommandTemplate(IReadOnlyList<string> words, JobCommandMode mode, bool plus = false)
    {
        _mode = mode;
        _words = new List<Segment>[words.Count];
        for (var i = 0; i < words.Count; i++)
        {
            _words[i] = Parse(words[i], plus);
            _hasReplacement |= _words[i].Exists(s => s.Kind != SegmentKind.Literal);
            NeedsTotal |= _words[i].Exists(s => s.Kind is SegmentKind.TotalJobs or SegmentKind.PaddedSeq);
        }
    }

    /// <summary>Whether a word holds {##} or {0#}, which need the number of jobs: the run then reads every input first and sets <see cref="Total"/>.</summary>
    public bool NeedsTotal { get; }

    /// <summary>The number of jobs, for {##} and {0#}.</summary>
    public long Total { get; set; }

    /// <summary>The number of job slots, for {0%}'s padding.</summary>
    public int MaxSlots { get; init; } = 1;

    /// <summary>Whether exec'ing plain commands directly (skipping the shell) is allowed; on by default.</summary>
    public bool DirectExecFastPath { get; init; } = true;

    /// <summary>
    /// GNU parallel's context replace (-X, -N, -L): a word holding {} (or {.}, {/} ...) is repeated once per argument,
    /// so pic{}.jpg over a and b renders pica.jpg picb.jpg; otherwise {} renders all the arguments at once.
    /// </summary>
    public bool ContextReplace { get; init; }

    /// <summary>The command line's length, in UTF-8 bytes, with no arguments: where -X, -m and --xargs start counting.</summary>
    public long BaseLength => System.Text.Encoding.UTF8.GetByteCount(Render([], 1, 1).Command);

    /// <summary>How many UTF-8 bytes one more input (its columns) adds to the command line, for filling it with -X, -m, --xargs.</summary>
    public long ArgumentLength(string[] record)
    {
        long length = 0;
        if (!_hasReplacement)
        {
            foreach (var value in record)
            {
                length += QuotedLength(value) + 1;
            }

            return length;
        }

        foreach (var word in _words)
        {
            var repeated = ContextReplace && word.Exists(s => s.Kind == SegmentKind.AllArgs);
            foreach (var segment in word)
            {
                if (segment.Kind == SegmentKind.AllArgs)
                {
                    foreach (var value in record)
                    {
                        length += QuotedLength(Transform(value, segment)) + 1;
                    }
                }
                else if (repeated && segment.Kind == SegmentKind.Literal)
                {
                    // Each argument brings its own copy of the word's literal text.
                    length += (long)System.Text.Encoding.UTF8.GetByteCount(segment.Text) * record.Length;
                }
            }
        }

        return length;
    }

    private static long QuotedLength(string value) => System.Text.Encoding.UTF8.GetByteCount(ShellQuote.IsSafe(value) ? value : ShellQuote.Quote(value));

    /// <summary>The command for one job.</summary>
    public JobLaunch Render(IReadOnlyList<string> args, long seq, int slot)
    {
        switch (_mode)
        {
            case JobCommandMode.NoShell:
                {
                    var argv = new List<string>(_words.Length + args.Count);
                    foreach (var word in _words)
                    {
                        if (IsRepeated(word, args))
                        {
                            foreach (var value in args)
                            {
                                argv.Add(RenderWord(word, args, seq, slot, quote: false, only: value));
                            }
                        }
                        else
                        {
                            argv.Add(RenderWord(word, args, seq, slot, quote: false));
                        }
                    }

                    if (!_hasReplacement)
                    {
                        argv.AddRange(args);
                    }

                    var array = argv.ToArray();
                    return new JobLaunch(string.Join(' ', array.Select(ShellQuote.Quote)), array);
                }

            case JobCommandMode.QuoteCommand:
                {
                    // -q: each word is rendered with raw values, then quoted as a whole (GNU: -q echo '{} x' ::: 'a b' runs echo 'a b x').
                    var sb = new StringBuilder();
                    foreach (var word in _words)
                    {
                        if (IsRepeated(word, args))
                        {
                            foreach (var value in args)
                            {
                                Append(sb, ShellQuote.Quote(RenderWord(word, args, seq, slot, quote: false, only: value)));
                            }
                        }
                        else
                        {
                            Append(sb, ShellQuote.Quote(RenderWord(word, args, seq, slot, quote: false)));
                        }
                    }

                    if (!_hasReplacement)
                    {
                        foreach (var arg in args)
                        {
                            Append(sb, ShellQuote.Quote(arg));
                        }
                    }

                    return Launch(sb.ToString());
                }

            default:
                {
                    var sb = new StringBuilder();
                    foreach (var word in _words)
                    {
                        if (IsRepeated(word, args))
                        {
                            foreach (var value in args)
                            {
                                Append(sb, RenderWord(word, args, seq, slot, quote: true, only: value));
                            }
                        }
                        else
                        {
                            Append(sb, RenderWord(word, args, seq, slot, quote: true));
                        }
                    }

                    if (!_hasReplacement)
                    {
                        foreach (var arg in args)
                        {
                            Append(sb, ShellQuote.Quote(arg));
                        }
                    }

                    return Launch(sb.ToString());
                }
        }
    }

    // Under context replace, a word holding {} is rendered once per argument; positional strings in it ({1}) still
    // count over all the job's arguments, as in GNU parallel (-X echo {}-{1} ::: a b renders a-a b-a).
    private bool IsRepeated(List<Segment> word, IReadOnlyList<string> args) =>
        ContextReplace && args.Count > 1 && word.Exists(s => s.Kind == SegmentKind.AllArgs);

    /// <summary>Whether any word holds a replacement string.</summary>
    public bool HasReplacement => _hasReplacement;

    /// <summary>The words rendered with raw values and joined by spaces, arguments never appended: for --tagstring.</summary>
    public string RenderText(IReadOnlyList<string> args, long seq, int slot) =>
        string.Join(' ', _words.Select(word => RenderWord(word, args, seq, slot, quote: false)));

    /// <summary>The --tag prefix's text: the arguments unquoted, separated by spaces (GNU's default --tagstring {}).</summary>
    public static string Tag(IReadOnlyList<string> args) => string.Join(' ', args);

    private JobLaunch Launch(string command) => DirectExecFastPath ? _directExec.Launch(command) : new JobLaunch(command, null);

    private static void Append(StringBuilder sb, string word)
    {
        if (sb.Length > 0)
        {
            sb.Append(' ');
        }

        sb.Append(word);
    }

    /// <summary>Renders one word; with <paramref name="only"/> (one copy of a context-replaced word), {} stands for that argument alone.</summary>
    private string RenderWord(List<Segment> word, IReadOnlyList<string> args, long seq, int slot, bool quote, string? only = null)
    {
        if (word.Count == 1 && word[0].Kind == SegmentKind.Literal)
        {
            return word[0].Text;
        }

        var sb = new StringBuilder();
        foreach (var segment in word)
        {
            switch (segment.Kind)
            {
                case SegmentKind.Literal:
                    sb.Append(segment.Text);
                    break;
                case SegmentKind.Seq:
                    sb.Append(seq);
                    break;
                case SegmentKind.Slot:
                    sb.Append(slot);
                    break;
                case SegmentKind.TotalJobs:
                    sb.Append(Total);
                    break;
                case SegmentKind.PaddedSeq:
                    // GNU parallel: as many digits as the number of jobs has (1 + int(log10(total))).
                    sb.Append(seq.ToString(CultureInfo.InvariantCulture).PadLeft(Total.ToString(CultureInfo.InvariantCulture).Length, '0'));
                    break;
                case SegmentKind.PaddedSlot:
                    sb.Append(slot.ToString(CultureInfo.InvariantCulture).PadLeft(MaxSlots.ToString(CultureInfo.InvariantCulture).Length, '0'));
                    break;
                case SegmentKind.AllArgs when only is not null:
                    var one = Transform(only, segment);
                    sb.Append(quote ? ShellQuote.Quote(one) : one);
                    break;
                case SegmentKind.AllArgs:
                    for (var i = 0; i < args.Count; i++)
                    {
                        if (i > 0)
                        {
                            sb.Append(' ');
                        }

                        var value = Transform(args[i], segment);
                        sb.Append(quote ? ShellQuote.Quote(value) : value);
                    }

                    break;
                case SegmentKind.Positional:
                    var index = segment.Position > 0 ? segment.Position - 1 : args.Count + segment.Position;
                    if (index >= 0 && index < args.Count)
                    {
                        var value = Transform(args[index], segment);
                        sb.Append(quote ? ShellQuote.Quote(value) : value);
                    }

                    // GNU parallel renders a position beyond the arguments as nothing at all.
                    break;
            }
        }

        return sb.ToString();
    }

    private static string Transform(string value, Segment segment) => segment.Plus is { } plus ? plus(value) : Transform(value, segment.Transform);

    private static string Transform(string value, PathTransform transform) => transform switch
    {
        PathTransform.WithoutExtension => PathParts.WithoutExtension(value),
        PathTransform.Basename => PathParts.Basename(value),
        PathTransform.Dirname => PathParts.Dirname(value),
        PathTransform.BasenameWithoutExtension => PathParts.BasenameWithoutExtension(value),
        _ => value,
    };

    private static List<Segment> Parse(string word, bool plus)
    {
        var segments = new List<Segment>();
        var at = 0;
        var open = word.IndexOf('{', StringComparison.Ordinal);
        while (open >= 0)
        {
            if (!TryParseReplacement(word, open, plus, out var segment, out var end))
            {
                open = word.IndexOf('{', open + 1);
                continue;
            }

            if (open > at)
            {
                segments.Add(Segment.Literal(word[at..open]));
            }

            segments.Add(segment);
            at = end;
            open = word.IndexOf('{', end);
        }

        if (at < word.Length || segments.Count == 0)
        {
            segments.Add(Segment.Literal(word[at..]));
        }

        return segments;
    }

    /// <summary>
    /// Reads the replacement string that starts with the '{' at <paramref name="open"/>: {} {.} {/} {//} {/.} {#} {%}
    /// {3} {-1} {2.} {2/} {2//} {2/.}. Anything else (such as "{a}" or "{0}") is literal text, as in GNU parallel.
    /// </summary>
    /// <remarks>A hand-written scanner rather than a regular expression: `spindle run` starts once per script line, and
    /// loading and initialising the regex engine was a tenth of its start-up.</remarks>
    private static bool TryParseReplacement(string word, int open, bool plus, out Segment segment, out int end)
    {
        segment = default!;
        end = 0;
        // No replacement string contains a brace, so the body ends at the first '}' or not at all.
        var close = word.IndexOf('}', open + 1);
        if (close < 0)
        {
            return false;
        }

        var body = word.AsSpan(open + 1, close - open - 1);
        end = close + 1;
        switch (body)
        {
            case "#":
                segment = new Segment(SegmentKind.Seq, "", 0, PathTransform.None);
                return true;
            case "%":
                segment = new Segment(SegmentKind.Slot, "", 0, PathTransform.None);
                return true;
            case "##" when plus:
                segment = new Segment(SegmentKind.TotalJobs, "", 0, PathTransform.None);
                return true;
            case "0#" when plus:
                segment = new Segment(SegmentKind.PaddedSeq, "", 0, PathTransform.None);
                return true;
            case "0%" when plus:
                segment = new Segment(SegmentKind.PaddedSlot, "", 0, PathTransform.None);
                return true;
            case "slot" when plus:
                segment = new Segment(SegmentKind.Slot, "", 0, PathTransform.None);
                return true;
        }

        // An optional position (-?[1-9][0-9]*), then an optional transform.
        var digits = body.StartsWith('-') ? 1 : 0;
        var first = digits;
        while (digits < body.Length && char.IsAsciiDigit(body[digits]))
        {
            digits++;
        }

        var hasPosition = digits > first;
        if (hasPosition && body[first] == '0')
        {
            return false;
        }

        if (!hasPosition && first == 1)
        {
            return false;
        }

        var transform = body[digits..] switch
        {
            "" => PathTransform.None,
            "." => PathTransform.WithoutExtension,
            "/" => PathTransform.Basename,
            "//" => PathTransform.Dirname,
            "/." => PathTransform.BasenameWithoutExtension,
            _ => (PathTransform?)null,
        };
        Func<string, string>? plusTransform = null;
        if (transform is null && plus && body[digits..] is { Length: > 0 } rest)
        {
            plusTransform = PlusReplacement.Parse(rest.ToString());
        }

        if (transform is not { } t)
        {
            if (plusTransform is null)
            {
                return false;
            }

            t = PathTransform.None;
        }

        if (!hasPosition)
        {
            segment = new Segment(SegmentKind.AllArgs, "", 0, t) { Plus = plusTransform };
            return true;
        }

        // A position too large for an int is beyond every argument all the same, and renders as nothing.
        var position = int.TryParse(body[..digits], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n
            : body[0] == '-' ? int.MinValue + 1 : int.MaxValue;
        segment = new Segment(SegmentKind.Positional, "", position, t) { Plus = plusTransform };
        return true;
    }

    private enum SegmentKind
    {
        Literal,
        AllArgs,
        Positional,
        Seq,
        Slot,
        TotalJobs,
        PaddedSeq,
        PaddedSlot,
    }

    private enum PathTransform
    {
        None,
        WithoutExtension,
        Basename,
        Dirname,
        BasenameWithoutExtension,
    }

    private sealed record Segment(SegmentKind Kind, string Text, int Position, PathTransform Transform)
    {
        /// <summary>A --plus transform of the value, instead of <see cref="Transform"/>.</summary>
        public Func<string, string>? Plus { get; init; }

        public static Segment Literal(string text) => new(SegmentKind.Literal, text, 0, PathTransform.None);
    }
}
