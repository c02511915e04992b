package dev.bulwark.ingest;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

import org.junit.jupiter.api.Test;

class RecordReaderTest {

    @Test
    void splitsLinesSkipsBlanksAndStripsCarriageReturns() throws IOException {
        RecordReader reader = new RecordReader(new ByteArrayInputStream("a\r\n\n  \nbb\nccc".getBytes(UTF_8)), 100);
        assertThat(text(reader.next())).isEqualTo("a");
        RecordReader.Record second = reader.next();
        assertThat(text(second)).isEqualTo("bb");
        assertThat(second.line()).isEqualTo(4);
        assertThat(text(reader.next())).isEqualTo("ccc");
        assertThat(reader.next()).isNull();
    }

    @Test
    void cutsAnOversizedLineInConstantMemoryAndKeepsGoing() throws IOException {
        long hugeSize = 50L * 1024 * 1024;
        InputStream in = new InputStream() {
            long produced;
            final byte[] tail = "\nnext\n".getBytes(UTF_8);

            @Override
            public int read() {
                if (produced < hugeSize) {
                    produced++;
                    return 'x';
                }
                int index = (int) (produced++ - hugeSize);
                return index < tail.length ? tail[index] : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (produced >= hugeSize) {
                    int value = read();
                    if (value < 0) {
                        return -1;
                    }
                    b[off] = (byte) value;
                    return 1;
                }
                int n = (int) Math.min(len, hugeSize - produced);
                java.util.Arrays.fill(b, off, off + n, (byte) 'x');
                produced += n;
                return n;
            }
        };
        RecordReader reader = new RecordReader(in, 1024);
        RecordReader.Record huge = reader.next();
        assertThat(huge.oversized()).isTrue();
        assertThat(huge.size()).isEqualTo(hugeSize);
        assertThat(huge.bytes()).hasSize(1024);
        assertThat(text(reader.next())).isEqualTo("next");
        assertThat(reader.next()).isNull();
    }

    private static String text(RecordReader.Record record) {
        return new String(record.bytes(), UTF_8);
    }
}
