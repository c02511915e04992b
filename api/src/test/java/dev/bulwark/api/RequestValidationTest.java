package dev.bulwark.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import co.elastic.clients.elasticsearch._types.FieldValue;
import dev.bulwark.sink.FindingFilter;
import dev.bulwark.sink.FindingIndex;
import dev.bulwark.sink.FindingSearch;
import dev.bulwark.sink.FindingSort;

/** Every request parameter is validated with a readable 400 before anything reaches Elasticsearch. */
class RequestValidationTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private final FindingsService service = new FindingsService(null, new FindingIndex("bulwark-findings"),
            Clock.fixed(NOW, ZoneOffset.UTC));

    private static QueryParams params(String raw) {
        return QueryParams.parse(raw, FindingsService.SEARCH_PARAMS);
    }

    private static void assertBadRequest(Runnable call, String message) {
        assertThatThrownBy(call::run).isInstanceOf(ApiException.class)
                .satisfies(e -> assertThat(((ApiException) e).status()).isEqualTo(400))
                .hasMessageContaining(message);
    }

    @Test
    void shouldParseEveryFilterIntoTypedValues() {
        FindingSearch search = service.search(params("q=bash+shell&tenant=acme&severity=high,CRITICAL&rule=r1"
                + "&namespace=acme-web&pod=api-7d9f.x&image=docker.io/library/alpine:3.19&from=24h&to=2026-03-01T11:00:00Z"
                + "&status=open,false_positive&isolation=true&sort=risk&size=500"));
        FindingFilter f = search.filter();
        assertThat(f.text()).isEqualTo("bash shell");
        assertThat(f.tenant()).isEqualTo("acme");
        assertThat(f.severities()).containsExactly("high", "critical");
        assertThat(f.namespace()).isEqualTo("acme-web");
        assertThat(f.pod()).isEqualTo("api-7d9f.x");
        assertThat(f.from()).isEqualTo(Instant.parse("2026-02-28T12:00:00Z"));
        assertThat(f.to()).isEqualTo(Instant.parse("2026-03-01T11:00:00Z"));
        assertThat(f.statuses()).containsExactly("open", "false_positive");
        assertThat(f.isolationOnly()).isTrue();
        assertThat(search.sort()).isEqualTo(FindingSort.RISK);
        assertThat(search.size()).isEqualTo(500);
    }

    @Test
    void shouldDefaultToNewestFirstFiftyPerPage() {
        FindingSearch search = service.search(params(null));
        assertThat(search.size()).isEqualTo(50);
        assertThat(search.sort()).isEqualTo(FindingSort.NEWEST);
        assertThat(search.searchAfter()).isEmpty();
    }

    @Test
    void shouldRejectHugeNegativeOverflowingAndNonNumericSizes() {
        for (String size : List.of("501", "0", "-1", "99999999999999999999", "1e3", "0x10", "ten", "", " 5")) {
            if (size.isEmpty()) {
                continue; // empty means absent
            }
            assertBadRequest(() -> service.search(params("size=" + size.replace(" ", "+"))), "size must be");
        }
    }

    @Test
    void shouldRejectBadEnumsDatesNamesAndControlCharacters() {
        assertBadRequest(() -> service.search(params("severity=severe")), "severity takes low, medium, high, critical");
        assertBadRequest(() -> service.search(params("status=closed")), "status takes");
        assertBadRequest(() -> service.search(params("sort=tenant.name")), "sort must be one of");
        assertBadRequest(() -> service.search(params("from=yesterday")), "from must be an ISO-8601 instant");
        assertBadRequest(() -> service.search(params("from=2026-03-01T12:00:00Z&to=2026-03-01T11:00:00Z")),
                "from must be before to");
        assertBadRequest(() -> service.search(params("to=99999999d")), "to must be an ISO-8601");
        assertBadRequest(() -> service.search(params("tenant=ACME")), "tenant names are");
        assertBadRequest(() -> service.search(params("tenant=acme*")), "tenant names are");
        assertBadRequest(() -> service.search(params("tenant=*")), "tenant names are");
        assertBadRequest(() -> service.search(params("tenant=acme%2Cglobex")), "tenant names are");
        assertBadRequest(() -> service.search(params("namespace=Kube_System")), "namespace must be");
        assertBadRequest(() -> service.search(params("pod=a%20b")), "pod must be");
        assertBadRequest(() -> service.search(params("image=a%20b")), "image must be");
        assertBadRequest(() -> service.search(params("q=a%00b")), "q contains control characters");
        assertBadRequest(() -> service.search(params("q=" + "a".repeat(513))), "q is longer than 512");
        assertBadRequest(() -> service.search(params("isolation=yes")), "isolation must be true or false");
    }

    @Test
    void shouldRejectMalformedRepeatedAndUnknownParameters() {
        assertBadRequest(() -> params("q=%zz"), "malformed percent escape");
        assertBadRequest(() -> params("q=%e2%82"), "not valid UTF-8");
        assertBadRequest(() -> params("q=%C0%AF"), "not valid UTF-8");
        assertBadRequest(() -> params("tenant=acme&tenant=globex"), "given more than once");
        assertBadRequest(() -> params("tenant.name=globex"), "unknown parameter");
        assertBadRequest(() -> params("size=1&" + "x".repeat(QueryParams.MAX_QUERY_LENGTH)), "longer than");
        assertThat(QueryParams.parse("q=caf%C3%A9+%E2%9C%93", Set.of("q")).get("q")).isEqualTo("café ✓");
    }

    @Test
    void shouldRoundTripCursorsAndRejectForgedOnes() {
        String cursor = Cursors.encode(List.of(FieldValue.of(1_700_000_000_000L), FieldValue.of("f-1")));
        assertThat(Cursors.decode(cursor, FindingSort.NEWEST)).extracting(FieldValue::_get)
                .containsExactly(1_700_000_000_000L, "f-1");
        assertThat(service.search(params("after=" + cursor)).searchAfter()).hasSize(2);
        for (String forged : List.of("not-base64!", "W10", /* [] */ "WzFd", /* [1] */ "WyJhIiwiYiJd" /* ["a","b"] */,
                "WzEsImYtMSIsM10" /* [1,"f-1",3] */, "eyJxdWVyeSI6e319" /* {"query":{}} */, "x".repeat(600))) {
            assertBadRequest(() -> Cursors.decode(forged, FindingSort.NEWEST), "not a valid cursor");
        }
    }

    @Test
    void shouldAcceptOnlyWellFormedFindingIds() {
        assertThat(Validation.findingId("9f86d081884c7d659a2feaa0c55ad015")).isNotEmpty();
        for (String bad : List.of("", "*", "a b", "../x", "a/b", "x".repeat(129), "é", "a\u0000")) {
            assertBadRequest(() -> Validation.findingId(bad), "finding id");
        }
    }

    @Test
    void shouldValidateTriageBodies() {
        assertThat(ApiServer.parseTriage("{\"status\":\"resolved\",\"note\":\" fixed \"}".getBytes()))
                .isEqualTo(new ApiServer.Triage("resolved", "fixed"));
        assertThat(ApiServer.parseTriage("{\"status\":\"open\",\"note\":null}".getBytes()).note()).isNull();
        assertBadRequest(() -> ApiServer.parseTriage("{\"status\":\"closed\"}".getBytes()), "status must be one of");
        assertBadRequest(() -> ApiServer.parseTriage("{}".getBytes()), "status is required");
        assertBadRequest(() -> ApiServer.parseTriage("[]".getBytes()), "JSON object");
        assertBadRequest(() -> ApiServer.parseTriage("{\"status\":\"open\",\"tenant\":\"x\"}".getBytes()), "unknown field");
        assertBadRequest(() -> ApiServer.parseTriage("{\"status\":\"open\",\"status\":\"resolved\"}".getBytes()), "not valid JSON");
        assertBadRequest(() -> ApiServer.parseTriage("{\"status\":\"open\",\"note\":5}".getBytes()), "note must be a string");
        assertBadRequest(() -> ApiServer.parseTriage("{\"status\":".getBytes()), "not valid JSON");
    }

    @Test
    void shouldPickHistogramIntervalsThatKeepBucketsBounded() {
        assertThat(FindingsService.interval(NOW.minusSeconds(3600), NOW).toMinutes()).isEqualTo(5);
        assertThat(FindingsService.interval(NOW.minusSeconds(7 * 86400), NOW).toHours()).isEqualTo(3);
        assertThat(FindingsService.interval(NOW.minusSeconds(3650L * 86400), NOW).toDays()).isGreaterThanOrEqualTo(30);
    }
}
