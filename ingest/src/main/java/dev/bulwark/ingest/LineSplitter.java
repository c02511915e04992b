package dev.bulwark.ingest;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Incremental, bounded splitting of bytes into lines, for streams that grow (followed files).
 *
 * <p>Why: a followed file is read in chunks that end anywhere, often in the middle of a line the writer has not
 * finished; that partial line must wait for its newline rather than be taken as a record. Like {@link RecordReader},
 * a line is held to {@code maxLineBytes} (the rest is counted, not kept) so a hostile writer cannot exhaust memory.
 * Each line carries the file offset just past its newline, so a reader can checkpoint exactly after the last record it
 * published.
 */
public final class LineSplitter {

    /** A complete line, with its 1-based number and the offset just after its newline. */
    public record SplitLine(RecordFramer.Line line, long endOffset) {
    }

    private final int maxLineBytes;
    private byte[] partial = new byte[256];
    private int partialLength;
    private long partialSize;
    private long lineNumber;
    private long offset;

    /**
     * @param startOffset the file offset of the first byte fed
     * @param linesBefore the number of lines before {@code startOffset}, so line numbers stay true after a restart
     */
    public LineSplitter(int maxLineBytes, long startOffset, long linesBefore) {
        this.maxLineBytes = maxLineBytes;
        this.offset = startOffset;
        this.lineNumber = linesBefore;
    }

    /** Feeds bytes; complete non-blank lines go to {@code out}. */
    public void feed(byte[] bytes, int from, int to, Consumer<SplitLine> out) {
        int start = from;
        for (int i = from; i < to; i++) {
            if (bytes[i] == '\n') {
                keep(bytes, start, i);
                offset += i - start + 1;
                emit(out);
                start = i + 1;
            }
        }
        keep(bytes, start, to);
        offset += to - start;
    }

    /** The file has ended for good (rotated away or end of input): a last line without a newline is complete. */
    public void finish(Consumer<SplitLine> out) {
        if (partialSize > 0) {
            emit(out);
        }
    }

    /** Bytes of a line not yet terminated by a newline. */
    public long pendingBytes() {
        return partialSize;
    }

    private void keep(byte[] bytes, int from, int to) {
        int chunk = to - from;
        partialSize += chunk;
        int room = Math.min(chunk, maxLineBytes - partialLength);
        if (room > 0) {
            if (partialLength + room > partial.length) {
                partial = Arrays.copyOf(partial, Math.min(maxLineBytes, Math.max(partial.length * 2, partialLength + room)));
            }
            System.arraycopy(bytes, from, partial, partialLength, room);
            partialLength += room;
        }
    }

    private void emit(Consumer<SplitLine> out) {
        lineNumber++;
        int length = partialLength;
        long size = partialSize;
        if (size <= maxLineBytes && length > 0 && partial[length - 1] == '\r') {
            length--;
            size--;
        }
        boolean blank = size <= maxLineBytes && isBlank(partial, length);
        byte[] line = Arrays.copyOf(partial, length);
        partialLength = 0;
        partialSize = 0;
        if (!blank) {
            out.accept(new SplitLine(new RecordFramer.Line(line, lineNumber, size), offset));
        }
    }

    private static boolean isBlank(byte[] bytes, int length) {
        for (int i = 0; i < length; i++) {
            if (bytes[i] != ' ' && bytes[i] != '\t' && bytes[i] != '\r') {
                return false;
            }
        }
        return true;
    }
}
