package dev.bulwark.ingest;

import java.io.ByteArrayOutputStream;
import java.util.function.Consumer;

/**
 * {@link Framing#JSON}: cuts a stream into JSON values, one per line or pretty-printed over several lines.
 *
 * <p>A line that leaves a value open continues the record until the brackets balance, tracked byte by byte with
 * strings and escapes respected. So that one truncated NDJSON line cannot swallow the lines after it, a line that
 * starts in column 0 with anything but a closing bracket while a multi-line value is open (pretty-printers indent
 * nested values) closes the open record as broken and is framed on its own. Records over the size limit keep their first bytes, and the rest is skipped in
 * constant memory.
 */
final class JsonFramer implements RecordFramer {

    private final int maxRecordBytes;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private long pendingSize;
    private long firstLine;
    private long lastLine;
    private int depth;
    private boolean inString;
    private boolean escaped;
    private boolean open;

    JsonFramer(int maxRecordBytes) {
        this.maxRecordBytes = maxRecordBytes;
    }

    @Override
    public void accept(Line line, Consumer<Framed> out) {
        byte[] bytes = line.bytes();
        if (open && !continuesDocument(bytes)) {
            emit(out);
        }
        if (!open) {
            int first = firstNonBlank(bytes);
            if (line.cut() || first < 0 || (bytes[first] != '{' && bytes[first] != '[')) {
                out.accept(new Framed(bytes, line.size(), line.number(), line.number()));
                return;
            }
            open = true;
            firstLine = line.number();
            depth = 0;
            inString = false;
            escaped = false;
        } else {
            append((byte) '\n', 1);
        }
        lastLine = line.number();
        if (line.cut()) {
            // Bracket tracking is lost with the cut part; the record ends here, oversized.
            append(bytes, line.size());
            emit(out);
            return;
        }
        int end = scan(bytes);
        if (end < 0) {
            append(bytes, bytes.length);
            return;
        }
        int rest = end + 1;
        while (rest < bytes.length && isBlank(bytes[rest])) {
            rest++;
        }
        if (rest == bytes.length) {
            append(bytes, bytes.length);
            emit(out);
            return;
        }
        // Another value starts on the same line ("}{" where files were concatenated without a final newline).
        byte[] head = java.util.Arrays.copyOfRange(bytes, 0, end + 1);
        append(head, head.length);
        emit(out);
        byte[] tail = java.util.Arrays.copyOfRange(bytes, rest, bytes.length);
        accept(new Line(tail, line.number(), tail.length), out);
    }

    @Override
    public void finish(Consumer<Framed> out) {
        if (open) {
            emit(out);
        }
    }

    /** Tracks brackets over a line; returns the index where the value closed, or -1 when it is still open. */
    private int scan(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            byte b = bytes[i];
            if (inString) {
                if (escaped) {
                    escaped = false;
                } else if (b == '\\') {
                    escaped = true;
                } else if (b == '"') {
                    inString = false;
                }
            } else if (b == '"') {
                inString = true;
            } else if (b == '{' || b == '[') {
                depth++;
            } else if (b == '}' || b == ']') {
                depth--;
                if (depth <= 0) {
                    return i;
                }
            }
        }
        // A newline inside a JSON string is invalid JSON; the parser will say so. Framing treats the string as closed
        // so that one bad line cannot hold the rest of the stream.
        inString = false;
        escaped = false;
        return -1;
    }

    private static boolean isBlank(byte b) {
        return b == ' ' || b == '\t' || b == '\r';
    }

    private void append(byte[] bytes, long fullSize) {
        int room = (int) Math.max(0, Math.min(maxRecordBytes - (long) pending.size(), bytes.length));
        pending.write(bytes, 0, room);
        pendingSize += fullSize;
    }

    private void append(byte b, long fullSize) {
        if (pending.size() < maxRecordBytes) {
            pending.write(b);
        }
        pendingSize += fullSize;
    }

    private void emit(Consumer<Framed> out) {
        byte[] bytes = pending.toByteArray();
        out.accept(new Framed(bytes, pendingSize, firstLine, lastLine));
        pending.reset();
        pendingSize = 0;
        open = false;
    }

    /**
     * Pretty-printers indent everything inside the top-level value and put only its closing bracket in column 0, so a
     * line starting in column 0 with anything else cannot belong to the open document.
     */
    private static boolean continuesDocument(byte[] bytes) {
        if (bytes.length == 0) {
            return true;
        }
        byte first = bytes[0];
        return first == ' ' || first == '\t' || first == '}' || first == ']' || first == '\r';
    }

    private static int firstNonBlank(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] != ' ' && bytes[i] != '\t' && bytes[i] != '\r') {
                return i;
            }
        }
        return -1;
    }
}
