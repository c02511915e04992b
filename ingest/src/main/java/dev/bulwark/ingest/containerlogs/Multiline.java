package dev.bulwark.ingest.containerlogs;

import java.util.regex.Pattern;

/**
 * The heuristic that decides whether a log line continues the previous message of the same stream: Java, Python, Go
 * and Node.js stack traces.
 *
 * <p>Why: a runtime writes a stack trace as many lines, and an event per line loses what the trace is about (the
 * exception is on the first line, the code location on the others). The heuristic is applied to the start of each new
 * logical line (after partial chunks are joined) and follows the conventions of Beats' and Fluent Bit's multiline
 * parsers, so the first line of a trace starts a new message and the lines below it join that message:
 * <ul>
 *   <li>always a continuation: a line starting with a space or tab (Java {@code \tat ...}, Python
 *       {@code   File "...", line N}, Node.js {@code     at ...}, Go {@code \t/src/main.go:12 +0x1d}), a blank line,
 *       {@code at pkg.Class.method(}, {@code Caused by: }, {@code Suppressed: }, {@code ... N more},
 *       {@code ... N common frames omitted}, Python's chained-exception sentences and a Go
 *       {@code goroutine N [state]:} header;</li>
 *   <li>Python: after {@code Traceback (most recent call last):} every line belongs to the traceback up to and
 *       including the first line that is not indented (the exception itself); after a chained-exception sentence the
 *       next {@code Traceback} line continues the message too;</li>
 *   <li>Go: after {@code panic: }, {@code fatal error: } or a goroutine header, function lines
 *       ({@code main.main()}, {@code net/http.(*conn).serve(0xc000...)}), {@code created by ...} and
 *       {@code [signal ...]} lines continue the dump.</li>
 * </ul>
 * A line that starts in column 0 with anything else starts a new message. The heuristic only ever joins lines of one
 * stream of one container, and every group is capped in size by the framer, so a misjudged line costs a merged or a
 * split event, never data.
 */
final class Multiline {

    /** What the lines grouped so far are in the middle of. */
    enum State {
        /** An ordinary message, possibly with a Java or Node.js trace. */
        PLAIN,
        /** Inside a Python traceback, before its exception line. */
        PYTHON_TRACEBACK,
        /** After a Python chained-exception sentence; a new {@code Traceback} continues the message. */
        PYTHON_CHAINED,
        /** Inside a Go panic or goroutine dump. */
        GO_DUMP
    }

    private static final String PYTHON_TRACEBACK_HEADER = "Traceback (most recent call last):";
    private static final Pattern MORE_FRAMES = Pattern.compile("\\.\\.\\. \\d+ (more|common frames omitted)");
    private static final Pattern GOROUTINE = Pattern.compile("goroutine \\d+ [^\\[]{0,200}\\[[^\\]]{0,200}\\]:");
    /** Go function lines are short; longer lines are not checked, so no hostile line costs more than this. */
    private static final int MAX_GO_FRAME_LENGTH = 2048;

    private Multiline() {
    }

    /** The state of a group whose first line has this message. */
    static State start(String message) {
        if (message.startsWith(PYTHON_TRACEBACK_HEADER)) {
            return State.PYTHON_TRACEBACK;
        }
        if (message.startsWith("panic: ") || message.startsWith("fatal error: ") || isGoroutineHeader(message)) {
            return State.GO_DUMP;
        }
        return State.PLAIN;
    }

    /** Whether a new logical line with this message continues a group in {@code state}. */
    static boolean continues(State state, String message) {
        if (state == State.PYTHON_TRACEBACK || message.isBlank()) {
            return true;
        }
        if (state == State.PYTHON_CHAINED && message.startsWith(PYTHON_TRACEBACK_HEADER)) {
            return true;
        }
        if (state == State.GO_DUMP && isGoFrame(message)) {
            return true;
        }
        char first = message.charAt(0);
        return first == ' ' || first == '\t'
                || isJavaFrame(message)
                || message.startsWith("Caused by: ")
                || message.startsWith("Suppressed: ")
                || MORE_FRAMES.matcher(message).lookingAt()
                || isPythonChainSentence(message)
                || isGoroutineHeader(message);
    }

    /** The state after a continuation line with this message joined a group in {@code state}. */
    static State after(State state, String message) {
        if (isPythonChainSentence(message)) {
            return State.PYTHON_CHAINED;
        }
        if (isGoroutineHeader(message)) {
            return State.GO_DUMP;
        }
        if (message.isBlank()) {
            return state;
        }
        return switch (state) {
            case PYTHON_TRACEBACK -> isIndented(message) ? State.PYTHON_TRACEBACK : State.PLAIN;
            case PYTHON_CHAINED -> message.startsWith(PYTHON_TRACEBACK_HEADER) ? State.PYTHON_TRACEBACK : State.PLAIN;
            default -> state;
        };
    }

    private static boolean isIndented(String message) {
        return !message.isEmpty() && (message.charAt(0) == ' ' || message.charAt(0) == '\t');
    }

    /** {@code at com.example.Foo.bar(Foo.java:12)} written without indentation. */
    private static boolean isJavaFrame(String message) {
        if (!message.startsWith("at ") || message.length() < 5) {
            return false;
        }
        for (int i = 3; i < message.length(); i++) {
            char c = message.charAt(i);
            if (c == '(') {
                return i > 3;
            }
            if (Character.isWhitespace(c)) {
                return false;
            }
        }
        return false;
    }

    private static boolean isPythonChainSentence(String message) {
        return message.startsWith("During handling of the above exception, another exception occurred:")
                || message.startsWith("The above exception was the direct cause of the following exception:");
    }

    private static boolean isGoroutineHeader(String message) {
        return message.startsWith("goroutine ") && GOROUTINE.matcher(message).lookingAt();
    }

    /** {@code main.main()}, {@code net/http.(*conn).serve(0xc0000a8000)}, {@code created by ...}, {@code [signal ...]}. */
    private static boolean isGoFrame(String message) {
        if (message.startsWith("created by ") || message.startsWith("[signal ")
                || message.startsWith("...additional frames elided...")) {
            return true;
        }
        String line = message.strip();
        if (line.length() > MAX_GO_FRAME_LENGTH || !line.endsWith(")") || isIndented(message)) {
            return false;
        }
        int paren = line.indexOf('(');
        if (paren <= 0) {
            return false;
        }
        for (int i = 0; i < paren; i++) {
            if (Character.isWhitespace(line.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
