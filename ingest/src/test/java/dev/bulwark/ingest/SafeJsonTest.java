package dev.bulwark.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class SafeJsonTest {

    private static byte[] json(byte... inside) {
        byte[] start = "{\"a\":\"".getBytes(StandardCharsets.US_ASCII);
        byte[] end = "\"}".getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[start.length + inside.length + end.length];
        System.arraycopy(start, 0, all, 0, start.length);
        System.arraycopy(inside, 0, all, start.length, inside.length);
        System.arraycopy(end, 0, all, start.length + inside.length, end.length);
        return all;
    }

    @Test
    void validUtf8IncludingFourByteCharactersIsRead() throws Exception {
        assertThat(SafeJson.readObject("{\"a\":\"grüße \uD83D\uDE00 日本\"}".getBytes(StandardCharsets.UTF_8)).get("a").asText())
                .isEqualTo("grüße \uD83D\uDE00 日本");
        assertThat(SafeJson.firstMalformedUtf8("plain ascii".getBytes(StandardCharsets.US_ASCII))).isEqualTo(-1);
    }

    @Test
    void overlongSurrogateAndTruncatedSequencesAreRefusedWithTheirOffset() {
        // CESU-8 encoded surrogate then an overlong '/', as a hostile sender sent them to the receiver
        assertThatThrownBy(() -> SafeJson.read(json((byte) 0xed, (byte) 0xa0, (byte) 0x80, (byte) 0xc0, (byte) 0xaf)))
                .isInstanceOf(ParseException.class).hasMessageContaining("invalid JSON at byte 6: not strict UTF-8");
        assertThat(SafeJson.firstMalformedUtf8(json((byte) 0xc0, (byte) 0xaf))).isEqualTo(6); // overlong
        assertThat(SafeJson.firstMalformedUtf8(json((byte) 0xe0, (byte) 0x80, (byte) 0xaf))).isEqualTo(6); // overlong
        assertThat(SafeJson.firstMalformedUtf8(json((byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80))).isEqualTo(6); // > U+10FFFF
        assertThat(SafeJson.firstMalformedUtf8(json((byte) 'x', (byte) 0xe2, (byte) 0x82))).isEqualTo(7); // truncated
        assertThat(SafeJson.firstMalformedUtf8(new byte[] {(byte) 0xe2, (byte) 0x82})).isEqualTo(0); // truncated at the end
    }
}
