package dev.bulwark.sigma;

import static dev.bulwark.sigma.SigmaTestSupport.exec;
import static dev.bulwark.sigma.SigmaTestSupport.fires;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.bulwark.schemas.SecurityEvent;

/**
 * The time modifiers of Sigma specification v2.1 ({@code minute}, {@code hour}, {@code day}, {@code week},
 * {@code month}, {@code year}): the unit is read from the field's date in UTC and compared with the rule's values.
 */
class SigmaTimeModifierTest {

    private static final String BULWARK = "product: bulwark";

    private final SigmaEngine engine = SigmaEngine.create();

    /** An event at {@code instant} (its own timestamp) with the text {@code date} in attribute 'at' (when not null). */
    private static SecurityEvent at(String instant, String date) {
        SecurityEvent.Builder event = SigmaTestSupport.base("test", List.of("process"), List.of("start"));
        Instant time = Instant.parse(instant);
        event.setTimestamp(time.getEpochSecond() * 1_000_000_000L + time.getNano());
        if (date != null) {
            event.setAttributes(Map.of("at", date));
        }
        return event.build();
    }

    /** An event whose attribute 'at' holds {@code date}. */
    private static SecurityEvent dated(String date) {
        return at("2000-01-01T00:00:00Z", date);
    }

    private static String item(String key, Object value) {
        return "selection:\n    " + key + ": " + value + "\ncondition: selection\n";
    }

    private static boolean attribute(String modifiers, Object value, String date) {
        return fires(BULWARK, item("\"attributes['at']|" + modifiers + "\"", value), dated(date));
    }

    private static boolean timestamp(String modifiers, Object value, String instant) {
        return fires(BULWARK, item("timestamp|" + modifiers, value), at(instant, null));
    }

    private RuleProblem refused(String key, Object value) {
        return SigmaTestSupport.failure(engine, "bad.yml", SigmaTestSupport.rule(BULWARK, item(key, value)));
    }

    // ---------------------------------------------------------------- each unit

    @Test
    void eachUnitOfADateString() {
        String date = "2024-03-10T22:15:30Z";
        assertThat(attribute("minute", 15, date)).isTrue();
        assertThat(attribute("minute", 30, date)).isFalse();
        assertThat(attribute("hour", 22, date)).isTrue();
        assertThat(attribute("hour", 10, date)).isFalse();
        assertThat(attribute("day", 10, date)).isTrue();
        assertThat(attribute("day", 3, date)).isFalse();
        assertThat(attribute("week", 10, date)).isTrue();
        assertThat(attribute("week", 11, date)).isFalse();
        assertThat(attribute("month", 3, date)).isTrue();
        assertThat(attribute("month", 10, date)).isFalse();
        assertThat(attribute("year", 2024, date)).isTrue();
        assertThat(attribute("year", 2023, date)).isFalse();
    }

    @Test
    void eachUnitOfTheEventTimestampInUtc() {
        String instant = "2024-03-10T22:15:30.123456789Z";
        assertThat(timestamp("minute", 15, instant)).isTrue();
        assertThat(timestamp("hour", 22, instant)).isTrue();
        assertThat(timestamp("hour", 21, instant)).isFalse();
        assertThat(timestamp("day", 10, instant)).isTrue();
        assertThat(timestamp("week", 10, instant)).isTrue();
        assertThat(timestamp("month", 3, instant)).isTrue();
        assertThat(timestamp("year", 2024, instant)).isTrue();
        assertThat(timestamp("year", 2025, instant)).isFalse();
    }

    @Test
    void aKubernetesAuditRequestTimeIsADate() {
        SecurityEvent event = SigmaTestSupport.audit("get", "secrets", null, "payments", 200, null);
        event.getAttributes().put("k8s.audit.request_received_timestamp", "2024-06-01T03:04:05.678901Z");
        assertThat(fires(SigmaTestSupport.KUBERNETES_AUDIT, item("requestReceivedTimestamp|hour", 3), event)).isTrue();
        assertThat(fires(SigmaTestSupport.KUBERNETES_AUDIT, item("requestReceivedTimestamp|hour", 4), event)).isFalse();
    }

    // ---------------------------------------------------------------- edges of the calendar

    @Test
    void midnightIsHourAndMinuteZeroOfTheNewDay() {
        assertThat(timestamp("hour", 0, "2024-03-10T00:00:00Z")).isTrue();
        assertThat(timestamp("minute", 0, "2024-03-10T00:00:00Z")).isTrue();
        assertThat(timestamp("day", 10, "2024-03-10T00:00:00Z")).isTrue();
        assertThat(timestamp("hour", 23, "2024-03-09T23:59:59.999999999Z")).isTrue();
        assertThat(timestamp("minute", 59, "2024-03-09T23:59:59.999999999Z")).isTrue();
        assertThat(timestamp("day", 9, "2024-03-09T23:59:59.999999999Z")).isTrue();
    }

    @Test
    void endOfYearKeepsItsCalendarYearAndMonth() {
        String last = "2024-12-31T23:59:59Z";
        assertThat(timestamp("year", 2024, last)).isTrue();
        assertThat(timestamp("month", 12, last)).isTrue();
        assertThat(timestamp("day", 31, last)).isTrue();
        assertThat(timestamp("year", 2025, "2025-01-01T00:00:00Z")).isTrue();
        assertThat(timestamp("month", 1, "2025-01-01T00:00:00Z")).isTrue();
    }

    @Test
    void weekIsTheIso8601WeekOfTheWeekBasedYear() {
        // Tuesday 31 Dec 2024 is in week 1 of 2025 (the week of Thursday 2 Jan 2025)
        assertThat(timestamp("week", 1, "2024-12-31T12:00:00Z")).isTrue();
        assertThat(timestamp("week", 52, "2024-12-31T12:00:00Z")).isFalse();
        // Sunday 29 Dec 2024 ends week 52
        assertThat(timestamp("week", 52, "2024-12-29T12:00:00Z")).isTrue();
        // Monday 1 Jan 2024 starts week 1
        assertThat(timestamp("week", 1, "2024-01-01T00:00:00Z")).isTrue();
        // 2020 has 53 weeks: Thursday 31 Dec 2020 and Friday 1 Jan 2021 are in week 53
        assertThat(timestamp("week", 53, "2020-12-31T12:00:00Z")).isTrue();
        assertThat(timestamp("week", 53, "2021-01-01T12:00:00Z")).isTrue();
        assertThat(timestamp("week", 1, "2021-01-04T12:00:00Z")).isTrue();
    }

    // ---------------------------------------------------------------- formats and time zones

    @Test
    void anOffsetIsConvertedToUtc() {
        // 23:30 at UTC-1 is 00:30 UTC the next day
        assertThat(attribute("hour", 0, "2024-03-10T23:30:00-01:00")).isTrue();
        assertThat(attribute("hour", 23, "2024-03-10T23:30:00-01:00")).isFalse();
        assertThat(attribute("day", 11, "2024-03-10T23:30:00-01:00")).isTrue();
        assertThat(attribute("minute", 15, "2024-03-10T10:00:00+05:45")).isTrue();
        assertThat(attribute("year", 2023, "2024-01-01T00:30:00+01:00")).isTrue();
    }

    @Test
    void aDateWithoutOffsetIsUtcAndTheSeparatorMayBeASpace() {
        assertThat(attribute("hour", 22, "2024-03-10 22:15:30.123")).isTrue();
        assertThat(attribute("hour", 22, "2024-03-10T22:15")).isTrue();
        assertThat(attribute("minute", 15, "2024-03-10t22:15:30z")).isTrue();
    }

    @Test
    void aValueThatIsNotADateNeverMatches() {
        assertThat(attribute("hour", 22, "yesterday")).isFalse();
        assertThat(attribute("year", 2024, "2024")).isFalse();
        assertThat(attribute("day", 10, "2024-03-10")).isFalse();
        assertThat(attribute("month", 2, "2024-02-30T10:00:00Z")).isFalse();
        assertThat(attribute("month", 1, "2024-13-01T10:00:00Z")).isFalse();
        assertThat(attribute("hour", 1, "2024-03-10T25:00:00Z")).isFalse();
        assertThat(attribute("hour", 22, "2024-03-10T22:15:30+25:00")).isFalse();
        assertThat(attribute("hour", 22, " 2024-03-10T22:15:30Z")).isFalse();
        assertThat(attribute("hour", 22, "2024-03-10T22:15:30Zjunk")).isFalse();
        assertThat(attribute("hour", 0, "")).isFalse();
        // numbers are dates only in the event's own timestamp: a pid is not one
        SecurityEvent pid = exec("/bin/sh", "sh");
        pid.getProcess().setPid(2024L);
        assertThat(fires(BULWARK, item("process.pid|year", 2024), pid)).isFalse();
    }

    @Test
    void anAbsentFieldNeverMatchesButNeqDoes() {
        SecurityEvent none = at("2024-03-10T22:15:30Z", null);
        assertThat(fires(BULWARK, item("\"attributes['at']|hour\"", 22), none)).isFalse();
        assertThat(fires(BULWARK, item("\"attributes['at']|hour|neq\"", 22), none)).isTrue();
    }

    // ---------------------------------------------------------------- lists, all, neq and comparisons

    @Test
    void aListOfValuesIsOr() {
        assertThat(timestamp("hour", "[1, 2, 22]", "2024-03-10T22:15:30Z")).isTrue();
        assertThat(timestamp("hour", "[1, 2, 3]", "2024-03-10T22:15:30Z")).isFalse();
    }

    @Test
    void neqNegatesTheItem() {
        assertThat(timestamp("hour|neq", 22, "2024-03-10T21:15:30Z")).isTrue();
        assertThat(timestamp("hour|neq", 22, "2024-03-10T22:15:30Z")).isFalse();
    }

    @Test
    void comparisonModifiersCompareTheUnit() {
        assertThat(timestamp("hour|gte", 22, "2024-03-10T22:00:00Z")).isTrue();
        assertThat(timestamp("hour|gte", 22, "2024-03-10T23:59:00Z")).isTrue();
        assertThat(timestamp("hour|gte", 22, "2024-03-10T21:59:59Z")).isFalse();
        assertThat(timestamp("hour|gt", 22, "2024-03-10T22:59:00Z")).isFalse();
        assertThat(timestamp("hour|lt", 6, "2024-03-10T05:59:00Z")).isTrue();
        assertThat(timestamp("hour|lt", 6, "2024-03-10T06:00:00Z")).isFalse();
        assertThat(timestamp("day|lte", 7, "2024-03-07T10:00:00Z")).isTrue();
        assertThat(timestamp("day|lte", 7, "2024-03-08T10:00:00Z")).isFalse();
        assertThat(timestamp("gte|month", 11, "2024-12-01T00:00:00Z")).isTrue();
        assertThat(attribute("year|lt", 2000, "not a date")).isFalse();
    }

    @Test
    void allNeedsEveryValue() {
        // outside working hours as one item: hour >= 6 and hour < 20 is false
        assertThat(timestamp("hour|gte|all", "[6, 20]", "2024-03-10T21:00:00Z")).isTrue();
        assertThat(timestamp("hour|gte|all", "[6, 20]", "2024-03-10T19:00:00Z")).isFalse();
    }

    @Test
    void aNightRuleWithTwoComparisons() {
        String detection = """
                late:
                    timestamp|hour|gte: 22
                early:
                    timestamp|hour|lt: 6
                condition: late or early
                """;
        assertThat(fires(BULWARK, detection, at("2024-03-10T23:10:00Z", null))).isTrue();
        assertThat(fires(BULWARK, detection, at("2024-03-10T03:10:00Z", null))).isTrue();
        assertThat(fires(BULWARK, detection, at("2024-03-10T12:10:00Z", null))).isFalse();
    }

    // ---------------------------------------------------------------- refused at load

    @Test
    void aValueOutsideTheUnitsRangeIsRefused() {
        assertThat(refused("timestamp|hour", 24).reason())
                .contains("'timestamp|hour' needs a whole number from 0 to 23, not '24'");
        assertThat(refused("timestamp|minute", -1).reason()).contains("from 0 to 59, not '-1'");
        assertThat(refused("timestamp|minute", 60).reason()).contains("from 0 to 59, not '60'");
        assertThat(refused("timestamp|day", 0).reason()).contains("from 1 to 31, not '0'");
        assertThat(refused("timestamp|day", 32).reason()).contains("from 1 to 31, not '32'");
        assertThat(refused("timestamp|week", 54).reason()).contains("from 1 to 53, not '54'");
        assertThat(refused("timestamp|week", 0).reason()).contains("from 1 to 53, not '0'");
        assertThat(refused("timestamp|month", 13).reason()).contains("from 1 to 12, not '13'");
        assertThat(refused("timestamp|year", 10000).reason()).contains("from 0 to 9999, not '10000'");
        assertThat(refused("timestamp|hour|gte", 24).reason()).contains("from 0 to 23, not '24'");
    }

    /** A comparison that no value of the unit meets (hour > 23, day < 1) is never true: the rule could never fire. */
    @Test
    void aComparisonNoValueOfTheUnitMeetsIsRefused() {
        assertThat(refused("timestamp|hour|gt", 23).reason())
                .contains("'timestamp|hour|gt' is never true with 23: hour is 0 to 23");
        assertThat(refused("timestamp|minute|lt", 0).reason()).contains("minute is 0 to 59");
        assertThat(refused("timestamp|day|lt", 1).reason()).contains("day is 1 to 31");
        assertThat(refused("timestamp|week|gt", 53).reason()).contains("never true with 53");
        assertThat(refused("timestamp|month|gt", 12).reason()).contains("never true with 12");
        assertThat(refused("timestamp|year|gt", 9999).reason()).contains("never true with 9999");
        assertThat(timestamp("hour|gte", 23, "2024-03-10T23:30:00Z")).as("the bound itself is a value").isTrue();
        assertThat(timestamp("hour|lte", 0, "2024-03-10T00:30:00Z")).isTrue();
        assertThat(timestamp("day|gt", 30, "2024-03-31T00:30:00Z")).isTrue();
    }

    @Test
    void aValueThatIsNotAWholeNumberIsRefused() {
        assertThat(refused("timestamp|hour", 3.5).reason()).contains("'timestamp|hour' needs a whole number from 0 "
                + "to 23, not '3.5'");
        assertThat(refused("timestamp|hour", "noon").reason()).contains("not 'noon'");
        assertThat(refused("timestamp|hour", "'*'").reason()).contains("not '*'");
        assertThat(refused("timestamp|hour", "''").reason()).contains("not ''");
        assertThat(refused("timestamp|hour", "99999999999999999999").reason()).contains("from 0 to 23");
    }

    @Test
    void theValueLineIsNamed() {
        RuleProblem problem = SigmaTestSupport.failure(engine, "bad.yml", SigmaTestSupport.rule(BULWARK, """
                selection:
                    timestamp|hour:
                        - 3
                        - 24
                condition: selection
                """));
        assertThat(problem.location().line()).isEqualTo(11);
    }

    @Test
    void combinationsThatMeanNothingAreRefused() {
        assertThat(refused("timestamp|hour|day", 3).reason()).contains("'timestamp|hour|day'")
                .contains("only one of minute, hour, day, week, month and year");
        assertThat(refused("timestamp|hour|contains", 3).reason()).contains("'hour' cannot be combined with "
                + "'contains'");
        assertThat(refused("timestamp|hour|re", 3).reason()).contains("cannot be combined");
        assertThat(refused("timestamp|hour|cidr", 3).reason()).contains("cannot be combined");
        assertThat(refused("timestamp|hour|exists", true).reason()).contains("cannot be combined");
        assertThat(refused("timestamp|hour|fieldref", "id").reason()).contains("cannot be combined");
        assertThat(refused("timestamp|hour|cased", 3).reason()).contains("cannot be combined");
        assertThat(refused("timestamp|hour|base64", 3).reason()).contains("cannot be combined");
        assertThat(refused("timestamp|hour|gte|lt", 3).reason()).contains("cannot be combined");
        assertThat(refused("'|hour'", 3).reason()).contains("keywords cannot use 'hour'");
        assertThat(refused("timestamp|hour", "null").reason()).contains("null (field absent) takes no modifiers");
    }
}
