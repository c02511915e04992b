package dev.bulwark.detectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

import dev.bulwark.detectors.state.ImageProfile;
import dev.bulwark.detectors.state.ImageRisk;
import dev.bulwark.detectors.state.NamespaceTenant;
import dev.bulwark.detectors.state.ReportedContainer;

class StateSerdeTest {

    @Test
    void stateIsWrittenAsSingleObjectEncodedAvroAndReadBack() {
        Serde<ImageProfile> serde = StateSerde.imageProfiles();
        ImageProfile profile = ImageProfile.newBuilder().setFirstSeen(1).setLastSeen(2)
                .setExecutables(List.of("/bin/sh")).setDestinations(List.of("10.0.0.1:443")).build();
        byte[] bytes = serde.serializer().serialize("t", profile);
        assertThat(bytes[0]).isEqualTo((byte) 0xC3);
        assertThat(bytes[1]).isEqualTo((byte) 0x01);
        assertThat(serde.deserializer().deserialize("t", bytes)).isEqualTo(profile);
        assertThat(serde.deserializer().deserialize("t", null)).isNull();
    }

    /** The bytes below are what the JSON serde of earlier releases wrote for each state record. */
    @Test
    void namespaceTenantsWrittenAsJsonByAnOlderReleaseAreRead() {
        Serde<NamespaceTenant> serde = StateSerde.namespaceTenants();
        assertThat(read(serde, "{\"tenant\":\"acme\",\"movedAtMillis\":1700000000000}"))
                .isEqualTo(NamespaceTenant.newBuilder().setTenant("acme").setMovedAt(1_700_000_000_000L).build());
        assertThat(read(serde, "{\"tenant\":null,\"movedAtMillis\":0}"))
                .isEqualTo(NamespaceTenant.newBuilder().setTenant(null).setMovedAt(0).build());
    }

    @Test
    void imageRisksWrittenAsJsonByAnOlderReleaseAreRead() {
        ImageRisk risk = read(StateSerde.imageRisks(), "{\"fixable\":{\"CVE-2\":\"HIGH\",\"CVE-1\":\"CRITICAL\"}}");
        assertThat(risk.getFixable()).containsExactly(Map.entry("CVE-1", "CRITICAL"), Map.entry("CVE-2", "HIGH"));
    }

    @Test
    void reportedContainersWrittenAsJsonByAnOlderReleaseAreRead() {
        assertThat(read(StateSerde.reportedContainers(), "{\"severity\":\"critical\",\"lastSeenMillis\":42}"))
                .isEqualTo(ReportedContainer.newBuilder().setSeverity("critical").setLastSeen(42).build());
        assertThatThrownBy(() -> read(StateSerde.reportedContainers(), "{\"lastSeenMillis\":42}"))
                .isInstanceOf(SerializationException.class).hasMessageContaining("ReportedContainer");
    }

    @Test
    void profilesWrittenAsJsonByAnOlderReleaseAreReadAndWrittenBackAsAvro() {
        Serde<ImageProfile> serde = StateSerde.imageProfiles();
        ImageProfile profile = read(serde, "{\"firstSeenMillis\":1,\"lastSeenMillis\":2,"
                + "\"executables\":[\"/usr/bin/nc\",\"/bin/sh\"],\"destinations\":[\"10.0.0.1:443\"]}");
        assertThat(profile).isEqualTo(ImageProfile.newBuilder().setFirstSeen(1).setLastSeen(2)
                .setExecutables(List.of("/bin/sh", "/usr/bin/nc")).setDestinations(List.of("10.0.0.1:443")).build());
        byte[] rewritten = serde.serializer().serialize("t", profile);
        assertThat(rewritten[0]).isEqualTo((byte) 0xC3);
        assertThat(serde.deserializer().deserialize("t", rewritten)).isEqualTo(profile);
    }

    @Test
    void bytesThatAreNeitherAvroNorJsonAreRefusedWithTheirType() {
        assertThatThrownBy(() -> read(StateSerde.imageRisks(), "[1,2]"))
                .isInstanceOf(SerializationException.class).hasMessageContaining("ImageRisk");
        assertThatThrownBy(() -> read(StateSerde.imageRisks(), "{not json"))
                .isInstanceOf(SerializationException.class).hasMessageContaining("ImageRisk");
    }

    private static <T> T read(Serde<T> serde, String json) {
        return serde.deserializer().deserialize("t", json.getBytes(StandardCharsets.UTF_8));
    }
}
