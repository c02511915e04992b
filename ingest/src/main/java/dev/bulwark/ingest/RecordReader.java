package dev.bulwark.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits a byte stream into newline-delimited records with a hard cap on record size.
 *
 * <p>Why: a hostile or broken input can hold a line of gigabytes; reading it into memory would take the process down.
 * A line over the cap is returned as an {@link Record#oversized() oversized} record holding only its first
 * {@code maxRecordBytes} bytes (so it can be dead-lettered with its start) while the rest is skipped in constant
 * memory. Blank lines are skipped; a trailing {@code \r} is removed.
 */
public final class RecordReader {

    /** One record: its bytes (complete or cut), the 1-based line number, and its full size. */
    public record Record(byte[] bytes, long line, long size, boolean oversized) {
    }

    private final InputStream in;
    private final int maxRecordBytes;
    private final byte[] buffer = new byte[64 * 1024];
    private int position;
    private int limit;
    private long line;
    private boolean eof;

    public RecordReader(InputStream in, int maxRecordBytes) {
        if (maxRecordBytes < 1) {
            throw new IllegalArgumentException("maxRecordBytes must be positive");
        }
        this.in = in;
        this.maxRecordBytes = maxRecordBytes;
    }

    /** The next non-blank record, or null at end of stream. */
    public Record next() throws IOException {
        while (true) {
            Record record = readLine();
            if (record == null) {
                return null;
            }
            if (!isBlank(record.bytes())) {
                return record;
            }
        }
    }

    private Record readLine() throws IOException {
        if (eof && position >= limit) {
            return null;
        }
        byte[] out = new byte[Math.min(1024, maxRecordBytes)];
        int length = 0;
        long size = 0;
        boolean sawAny = false;
        while (true) {
            if (position >= limit) {
                if (!fill()) {
                    if (!sawAny) {
                        return null;
                    }
                    break;
                }
            }
            sawAny = true;
            int newline = indexOf(buffer, position, limit, (byte) '\n');
            int end = newline < 0 ? limit : newline;
            int chunk = end - position;
            size += chunk;
            int keep = Math.min(chunk, maxRecordBytes - length);
            if (keep > 0) {
                if (length + keep > out.length) {
                    out = Arrays.copyOf(out, Math.min(maxRecordBytes, Math.max(out.length * 2, length + keep)));
                }
                System.arraycopy(buffer, position, out, length, keep);
                length += keep;
            }
            position = end;
            if (newline >= 0) {
                position++;
                break;
            }
        }
        line++;
        if (size <= maxRecordBytes && length > 0 && out[length - 1] == '\r') {
            length--;
            size--;
        }
        return new Record(Arrays.copyOf(out, length), line, size, size > maxRecordBytes);
    }

    private boolean fill() throws IOException {
        if (eof) {
            return false;
        }
        int read = in.read(buffer, 0, buffer.length);
        if (read < 0) {
            eof = true;
            position = 0;
            limit = 0;
            return false;
        }
        position = 0;
        limit = read;
        return true;
    }

    private static int indexOf(byte[] bytes, int from, int to, byte value) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == value) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isBlank(byte[] bytes) {
        for (byte b : bytes) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }
}
