package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaSecurityTest {

    @TempDir
    Path dir;

    private BulwarkConfig config(String yaml, Map<String, String> env) throws Exception {
        Path file = dir.resolve("bulwark.yaml");
        Files.writeString(file, yaml);
        return BulwarkConfig.load(file, env);
    }

    private Path credentials() throws Exception {
        Path file = dir.resolve("credentials.properties");
        Files.writeString(file, "ingest.username=bulwark-ingest\ningest.password=in\"gest\\\\pw\n"
                + "detectors.username=bulwark-detectors\ndetectors.password=det-pw\n");
        return file;
    }

    @Test
    void eachComponentConnectsAsItsOwnUserOverTls() throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        BulwarkConfig config = config("{}\n", Map.of("BULWARK_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "BULWARK_KAFKA_CA_FILE", ca.toString(), "BULWARK_KAFKA_CREDENTIALS_FILE", credentials().toString()));
        KafkaClients kafka = new KafkaClients(config);
        Map<String, Object> ingest = kafka.as(KafkaSecurity.Component.INGEST).producer("p");
        assertThat(ingest).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("ssl.truststore.type", "PEM").containsEntry("ssl.truststore.location", ca.toString());
        assertThat((String) ingest.get("sasl.jaas.config")).as("quotes and backslashes escaped")
                .contains("username=\"bulwark-ingest\"").contains("password=\"in\\\"gest\\\\pw\"");
        Map<String, Object> detectors = kafka.as(KafkaSecurity.Component.DETECTORS).groupConsumer("g", null);
        assertThat((String) detectors.get("sasl.jaas.config")).contains("username=\"bulwark-detectors\"");
        assertThat(kafka.as(KafkaSecurity.Component.DETECTORS).principal()).isEqualTo("bulwark-detectors");
        assertThat(kafka.as(KafkaSecurity.Component.SINK).hasUser()).as("no sink entry and no default user").isFalse();
        assertThatThrownBy(() -> kafka.as(KafkaSecurity.Component.SINK).producer("p"))
                .hasMessageContaining("has no sink.username and sink.password").hasMessageNotContaining("det-pw");
    }

    @Test
    void aSingleUserTakesItsPasswordFromTheEnvironmentOrAFileAndPlaintextAddsNothing() throws Exception {
        BulwarkConfig env = config("kafka:\n  security:\n    protocol: SASL_SSL\n    username: bulwark\n",
                Map.of("BULWARK_KAFKA_PASSWORD", "from-env"));
        assertThat((String) new KafkaClients(env).common().get("sasl.jaas.config")).contains("password=\"from-env\"");
        Path secret = Files.writeString(dir.resolve("password"), "from-file\nignored\n");
        BulwarkConfig file = config("kafka:\n  security:\n    protocol: SASL_SSL\n    username: bulwark\n    passwordFile: "
                + secret + "\n", Map.of());
        assertThat((String) new KafkaClients(file).common().get("sasl.jaas.config")).contains("password=\"from-file\"");
        assertThat(new KafkaClients(config("{}\n", Map.of())).common()).doesNotContainKeys("security.protocol",
                "sasl.jaas.config");
    }

    @Test
    void incompleteSettingsAreRefusedAtLoadWithoutShowingASecret() {
        assertThatThrownBy(() -> config("kafka:\n  security:\n    protocol: SASL_SSL\n", Map.of()))
                .hasMessageContaining("needs a user");
        assertThatThrownBy(() -> config("kafka:\n  security:\n    protocol: SASL_SSL\n    username: u\n", Map.of()))
                .hasMessageContaining("needs a password");
        assertThatThrownBy(() -> config("kafka:\n  security:\n    protocol: SSL\n    certFile: /etc/hosts\n", Map.of()))
                .hasMessageContaining("go together");
        assertThatThrownBy(() -> config("kafka:\n  security:\n    protocol: SSL\n    caFile: /no/such/ca.pem\n", Map.of()))
                .hasMessageContaining("cannot read /no/such/ca.pem");
        assertThatThrownBy(() -> config("kafka:\n  security:\n    protocol: SASL_SSL\n    username: u\n    password: s3cret-value\n"
                + "    mechanism: KERBEROS\n", Map.of())).hasMessageNotContaining("s3cret-value");
    }

    @Test
    void aCredentialsFileWithAnUnknownKeyIsRefused() throws Exception {
        Path file = Files.writeString(dir.resolve("c.properties"), "ingest.user=x\n");
        assertThatThrownBy(() -> config("kafka:\n  security:\n    protocol: SASL_SSL\n    credentialsFile: " + file + "\n",
                Map.of())).hasMessageContaining("unknown key 'ingest.user'");
    }
}
