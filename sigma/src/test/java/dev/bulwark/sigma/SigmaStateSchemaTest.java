package dev.bulwark.sigma;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.bulwark.schemas.Evidence;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.FindingRule;
import dev.bulwark.schemas.SchemaHistory;
import dev.bulwark.sigma.state.CorrelationHitRecord;
import dev.bulwark.sigma.state.CorrelationWindowRecord;
import dev.bulwark.sigma.state.FoldStateRecord;

/**
 * The Sigma detector's state and repartition records: their schemas stay readable in both directions against every
 * released version (they live on changelog and repartition topics across upgrades, like wire records), each record
 * survives a round trip with its meaning, and records of the format before Avro are refused without failing.
 */
class SigmaStateSchemaTest {

    // ---------------------------------------------------------------- compatibility, as for the wire schemas

    @ParameterizedTest
    @ValueSource(classes = {FoldStateRecord.class, CorrelationWindowRecord.class, CorrelationHitRecord.class})
    void theCurrentSchemaReadsEveryReleasedVersionAndEveryReleasedVersionReadsIt(Class<?> type) {
        assertThat(SchemaHistory.compatibilityProblems(type)).as(type.getSimpleName()).isEmpty();
    }

    @Test
    void aRecordWrittenWithTheFirstReleasedSchemaDecodes() throws IOException {
        Schema v1 = SchemaHistory.olderVersionsOf(FoldStateRecord.getClassSchema().getFullName()).get(0);
        GenericRecord record = new GenericData.Record(v1);
        record.put("finding", StateSerde.bytes(finding("f1", 3, List.of("e1", "e2", "e3"))));
        record.put("last_emitted", 42L);
        record.put("dirty", true);
        ByteBuffer encoded = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(record);
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);

        FindingFolder.FoldState state = FindingFolder.STATE_SERDE.deserializer().deserialize("changelog", bytes);

        assertThat(state.lastEmitted()).isEqualTo(42L);
        assertThat(state.dirty()).isTrue();
        assertThat(state.finding().getCount()).isEqualTo(3);
        assertThat(state.finding().getEvidence().getEventIds()).containsExactly("e1", "e2", "e3");
        assertThat(state.seen()).as("an episode of the first release has seen its finding")
                .isEqualTo(new FindingFolder.Seen("low", List.of(), List.of()));
        assertThat(state.earlierEventIds()).isEmpty();
        assertThat(state.episodeFirstSeen()).isEqualTo(state.finding().getFirstSeen());
    }

    // ---------------------------------------------------------------- round trips

    @Test
    void foldStateKeepsItsFindingEmissionTimeAndDirtyMark() {
        FindingFolder.FoldState state = new FindingFolder.FoldState(finding("f1", 7, List.of("e1", "e7")), 1_234L, true);

        FindingFolder.FoldState read = roundTrip(FindingFolder.STATE_SERDE, state);

        assertThat(read).isEqualTo(state);
        assertThat(new FindingFolder.FoldState(state.finding(), 0L, false)).isNotEqualTo(read);
    }

    @Test
    void foldStateKeepsWhatTheEpisodeHasSeenAndTheEscalatedFindingsEvents() {
        FindingFolder.FoldState state = new FindingFolder.FoldState(finding("f2", 1, List.of("e3")), 5L, false,
                new FindingFolder.Seen("high", List.of("discovery", "privilege-escalation"), List.of("www-data", "root")),
                List.of("e1", "e2"), 500L);

        FindingFolder.FoldState read = roundTrip(FindingFolder.STATE_SERDE, state);

        assertThat(read).isEqualTo(state);
        assertThat(read.seen().users()).containsExactly("www-data", "root");
        assertThat(read.earlierEventIds()).containsExactly("e1", "e2");
    }

    @Test
    void aFindingThatEscalatesAnotherKeepsItsLinkInState() {
        Finding escalation = Finding.newBuilder(finding("f2", 1, List.of("e3"))).setEscalates("f1").build();

        FindingFolder.FoldState read = roundTrip(FindingFolder.STATE_SERDE,
                new FindingFolder.FoldState(escalation, 5L, true));

        assertThat(read.finding().getEscalates()).isEqualTo("f1");
    }

    @Test
    void correlationWindowKeepsGroupWithAbsentValuesEntriesInOrderAndContext() {
        List<String> group = Arrays.asList("alice", null);
        CorrelationWindow window = new CorrelationWindow("corr-1", java.util.Collections.unmodifiableList(group),
                List.of(new CorrelationWindow.Entry(10L, "r1", "rule_one", "e1", null),
                        new CorrelationWindow.Entry(10L, null, "rule_two", "e2", "10.0.0.1"),
                        new CorrelationWindow.Entry(20L, "r1", null, null, "10.0.0.2")),
                finding("ctx", 1, List.of("e2")));

        CorrelationWindow read = roundTrip(CorrelationWindow.SERDE, window);

        assertThat(read).isEqualTo(window);
        assertThat(read.group()).containsExactly("alice", null);
        assertThat(read.entries()).extracting(CorrelationWindow.Entry::eventId).containsExactly("e1", "e2", null);
        assertThat(read.context().getId()).isEqualTo("ctx");
    }

    @Test
    void correlationHitKeepsEveryField() {
        CorrelationHit hit = new CorrelationHit("corr-1", Arrays.asList(null, "payments"), null, "whoami_run", "e9",
                99L, "203.0.113.7", finding("ctx", 1, List.of("e9")));

        CorrelationHit read = roundTrip(CorrelationHit.SERDE, hit);

        assertThat(read).isEqualTo(hit);
        assertThat(read.is("whoami_run")).isTrue();
    }

    @Test
    void theRouteOfACorrelationInsideAChainSurvivesARoundTripOfHitAndWindow() {
        CorrelationHit hit = new CorrelationHit("inner", List.of("root"), null, "failed_login", "e1", 5L, null,
                finding("ctx", 1, List.of("e1")), List.of("middle", "outer"));
        assertThat(roundTrip(CorrelationHit.SERDE, hit)).isEqualTo(hit);

        CorrelationWindow window = new CorrelationWindow("inner", List.of("root"),
                List.of(new CorrelationWindow.Entry(5L, null, "failed_login", "e1", null)), finding("ctx", 1,
                List.of("e1")), List.of("outer"));
        assertThat(roundTrip(CorrelationWindow.SERDE, window).route()).containsExactly("outer");
    }

    @Test
    void aWindowWrittenWithTheFirstReleasedSchemaHasNoRoute() throws IOException {
        Schema v1 = SchemaHistory.olderVersionsOf(CorrelationWindowRecord.getClassSchema().getFullName()).get(0);
        GenericRecord record = new GenericData.Record(v1);
        record.put("correlation_key", "corr-1");
        record.put("group", List.of("alice"));
        GenericRecord entry = new GenericData.Record(v1.getField("entries").schema().getElementType());
        entry.put("time", 10L);
        entry.put("event_id", "e1");
        record.put("entries", List.of(entry));
        record.put("context", StateSerde.bytes(finding("ctx", 1, List.of("e1"))));
        ByteBuffer encoded = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), v1).encode(record);
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);

        CorrelationWindow window = CorrelationWindow.SERDE.deserializer().deserialize("changelog", bytes);

        assertThat(window.route()).isEmpty();
        assertThat(window.entries()).extracting(CorrelationWindow.Entry::eventId).containsExactly("e1");
    }

    /** The finding inside state names its own writer schema, so it evolves with Finding, not with the state record. */
    @Test
    void theFindingInsideStateIsASingleObjectEncodedFinding() {
        Finding finding = finding("f1", 2, List.of("e1", "e2"));
        ByteBuffer bytes = FoldStateRecord.newBuilder().setFinding(StateSerde.bytes(finding)).setLastEmitted(0L)
                .setDirty(false).build().getFinding();
        byte[] raw = new byte[bytes.remaining()];
        bytes.duplicate().get(raw);

        assertThat(raw[0]).isEqualTo((byte) 0xC3);
        assertThat(raw[1]).isEqualTo((byte) 0x01);
        assertThat(StateSerde.FINDINGS.decode(raw)).isEqualTo(finding);
    }

    // ---------------------------------------------------------------- the format before Avro

    @Test
    void stateOfTheFormatBeforeAvroIsRefusedAsAbsent() throws IOException {
        // Fold state as the hand-written codec wrote it: version byte, last emitted, dirty, length-prefixed finding.
        byte[] findingBytes = StateSerde.FINDINGS.encode(finding("f1", 1, List.of("e1")));
        ByteArrayOutputStream legacy = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(legacy)) {
            out.writeByte(1);
            out.writeLong(42L);
            out.writeBoolean(true);
            out.writeInt(findingBytes.length);
            out.write(findingBytes);
        }

        assertThat(StateSerde.isLegacy(legacy.toByteArray())).isTrue();
        assertThat(FindingFolder.STATE_SERDE.deserializer().deserialize("changelog", legacy.toByteArray())).isNull();
        assertThat(CorrelationWindow.SERDE.deserializer().deserialize("changelog", new byte[] {1, 0, 0, 0, 6})).isNull();
        assertThat(CorrelationHit.SERDE.deserializer().deserialize("repartition", new byte[] {1, 0, 0, 0, 6})).isNull();
    }

    @Test
    void bytesThatAreNeitherFormatStillFailAsCorrupt() {
        assertThatThrownBy(() -> FindingFolder.STATE_SERDE.deserializer().deserialize("changelog", new byte[] {2, 0, 0}))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("FoldStateRecord");
    }

    @Test
    void nullStaysNull() {
        assertThat(FindingFolder.STATE_SERDE.serializer().serialize("t", null)).isNull();
        assertThat(FindingFolder.STATE_SERDE.deserializer().deserialize("t", null)).isNull();
    }

    private static <T> T roundTrip(org.apache.kafka.common.serialization.Serde<T> serde, T value) {
        byte[] bytes = serde.serializer().serialize("topic", value);
        assertThat(StateSerde.isLegacy(bytes)).isFalse();
        return serde.deserializer().deserialize("topic", bytes);
    }

    static Finding finding(String id, long count, List<String> eventIds) {
        return Finding.newBuilder()
                .setId(id)
                .setDetector("sigma")
                .setRule(FindingRule.newBuilder().setId("r1").setName("Rule one").build())
                .setSeverity("low")
                .setTenant("acme")
                .setSummary("a finding")
                .setFirstSeen(1_000L)
                .setLastSeen(2_000L)
                .setCount(count)
                .setEvidence(Evidence.newBuilder().setEventIds(eventIds).build())
                .build();
    }
}
