package dev.bulwark.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/** Timestamps: the fast path gives exactly what {@code OffsetDateTime.parse} gives, and rejects what it rejects. */
class JsonFieldsTest {

    /** What the timestamp parser must return: java.time's reading, or a rejection (null). */
    private static Long reference(String value) {
        try {
            Instant instant = OffsetDateTime.parse(value).toInstant();
            return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000_000L), instant.getNano());
        } catch (DateTimeParseException | ArithmeticException e) {
            return null;
        }
    }

    private static Long parsed(String value) {
        try {
            return JsonFields.epochNanos("time", value);
        } catch (ParseException e) {
            return null;
        }
    }

    @Test
    void agreesWithJavaTimeOnEdgeCasesAndHostileValues() {
        List<String> values = List.of("2024-03-01T10:00:00Z", "2024-03-01T10:00:00.000000001Z",
                "2023-05-25T13:44:05.478113843Z", "2024-02-29T23:59:59.999999999+14:00", "2023-02-29T00:00:00Z",
                "2024-04-31T00:00:00Z", "1969-12-31T23:59:59.5-18:00", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                "2024-03-01T24:00:00Z", "2024-03-01T10:60:00Z", "2024-03-01T10:00:60Z", "2024-13-01T10:00:00Z",
                "2024-00-01T10:00:00Z", "2024-03-00T10:00:00Z", "2024-03-01t10:00:00Z", "2024-03-01T10:00:00z",
                "2024-03-01T10:00:00.Z", "2024-03-01T10:00:00.1234567890Z", "2024-03-01T10:00:00+18:01",
                "2024-03-01T10:00:00+05:30", "2024-03-01T10:00:00-00:00", "2024-03-01T10:00:00+0530",
                "2024-03-01T10:00:00+05", "2024-03-01T10:00:00+05:30:15", "2024-03-01T10:00:00", "2024-03-01 10:00:00Z",
                "+2024-03-01T10:00:00Z", "２０２４-03-01T10:00:00Z", "2024-03-01T10:00:00ZZ", "", "2024-03-01T1a:00:00Z");
        for (String value : values) {
            assertThat(parsed(value)).as(value).isEqualTo(reference(value));
        }
        assertThat(parsed("2024-03-01T10:00:00.000000001Z")).isEqualTo(1_709_287_200_000_000_001L);
    }

    @Test
    void agreesWithJavaTimeOnRandomTimestamps() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 20_000; i++) {
            String fraction = switch (random.nextInt(4)) {
                case 0 -> "";
                case 1 -> "." + "123456789".substring(0, 1 + random.nextInt(9));
                case 2 -> String.format(".%09d", random.nextInt(1_000_000_000));
                default -> "." + random.nextInt(1000);
            };
            String offset = random.nextBoolean() ? "Z"
                    : String.format("%s%02d:%02d", random.nextBoolean() ? "+" : "-", random.nextInt(20), random.nextInt(62));
            String value = String.format("%04d-%02d-%02dT%02d:%02d:%02d%s%s", random.nextInt(10_000),
                    random.nextInt(14), random.nextInt(33), random.nextInt(25), random.nextInt(61), random.nextInt(61),
                    fraction, offset);
            assertThat(parsed(value)).as(value).isEqualTo(reference(value));
        }
    }

    @Test
    void aRejectionNamesTheField() {
        assertThatThrownBy(() -> JsonFields.epochNanos("time", "yesterday"))
                .isInstanceOf(ParseException.class).hasMessageContaining("'time'").hasMessageContaining("RFC 3339");
    }
}
