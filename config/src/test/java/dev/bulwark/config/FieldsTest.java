package dev.bulwark.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class FieldsTest {

    static final Field<String> BOOTSTRAP = Field.of("kafka.bootstrap", Type.STRING).withDefault("127.0.0.1:9092")
            .withEnv("X_BOOTSTRAP").withValidator(Validator.nonBlank()).withDoc("Kafka bootstrap servers.");
    static final Field<Integer> PORT = Field.of("api.port", Type.INT).withDefault(8080).withEnv("X_PORT")
            .withValidator(Validator.portOrOff()).withDoc("Port of the API; 0 = off.");
    static final Field<Duration> WINDOW = Field.of("window", Type.DURATION).withDefault(Duration.ofMinutes(10))
            .withValidator(Validator.positive()).withDoc("Counting window.");
    static final Field<String> SECRET = Field.of("api.password", Type.PASSWORD).withEnv("X_PASSWORD")
            .withDoc("A password.").withExample("changeme");
    static final Field<List<String>> TAGS = Field.of("tags", Type.LIST).withDefault(List.of("a", "b")).withDoc("Tags.");

    static final Fields ALL = Fields.of("", BOOTSTRAP, PORT, WINDOW, SECRET, TAGS);

    @Test
    void defaultsFileAndEnvironmentInThatOrderOfPrecedence() {
        Settings defaults = ALL.parse(Map.of(), Map.of());
        assertThat(defaults.get(PORT)).isEqualTo(8080);
        assertThat(defaults.source(PORT)).isEqualTo(Settings.Source.DEFAULT);
        assertThat(defaults.get(SECRET)).isNull();

        Settings file = ALL.parse(Map.of("api", Map.of("port", 9000), "window", "1h30m", "tags", List.of("x")), Map.of());
        assertThat(file.get(PORT)).isEqualTo(9000);
        assertThat(file.get(WINDOW)).isEqualTo(Duration.ofMinutes(90));
        assertThat(file.get(TAGS)).containsExactly("x");
        assertThat(file.source(WINDOW)).isEqualTo(Settings.Source.FILE);

        Settings env = ALL.parse(Map.of("api", Map.of("port", 9000)), Map.of("X_PORT", "9100", "X_PASSWORD", "s3cret"));
        assertThat(env.get(PORT)).isEqualTo(9100);
        assertThat(env.source(PORT)).isEqualTo(Settings.Source.ENVIRONMENT);
        assertThat(env.get(SECRET)).isEqualTo("s3cret");
        assertThat(env.toString()).contains("api.port=9100", "api.password=********").doesNotContain("s3cret");
    }

    @Test
    void unknownKeysAreRejectedWithTheValidOnesAndANearMatch() {
        assertThatThrownBy(() -> ALL.parse(Map.of("api", Map.of("prot", 1)), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown setting api.prot (did you mean api.port?)")
                .hasMessageContaining("valid: kafka.bootstrap, api.port, window, api.password, tags");
        assertThatThrownBy(() -> Fields.of("detection.detectors.x", WINDOW).parse(Map.of("windw", "1m"), Map.of()))
                .hasMessageContaining("unknown setting detection.detectors.x.windw (did you mean window?)");
        assertThatThrownBy(() -> Fields.none("detection.detectors.y").parse(Map.of("a", "1"), Map.of()))
                .hasMessageContaining("detection.detectors.y has no settings");
    }

    @Test
    void everyBadValueIsReportedAtOnceWithItsKeyOrVariable() {
        assertThatThrownBy(() -> ALL.parse(Map.of("api", Map.of("port", 70000), "window", "PT1H"), Map.of("X_BOOTSTRAP", " ")))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "X_BOOTSTRAP (kafka.bootstrap): must be non-empty, got  ",
                        "api.port: must be 0-65535, got 70000",
                        "window: 'PT1H' is not a duration: write a whole number and a unit (ms, s, m, h, d), e.g. 500ms, "
                                + "30s, 10m, 1h30m, 7d (ISO-8601 is not accepted here; write 1h)"));
        assertThatThrownBy(() -> ALL.parse(Map.of("window", "0s"), Map.of())).hasMessage("window: must be longer than 0s, got PT0S");
        assertThatThrownBy(() -> ALL.parse(Map.of("kafka", Map.of("bootstrap", List.of("a"))), Map.of()))
                .hasMessageContaining("kafka.bootstrap: expected a single value, got a list");
    }

    @Test
    void booleansAreOnlyTrueOrFalse() {
        Field<Boolean> flag = Field.of("flag", Type.BOOLEAN).withDefault(false);
        Fields fields = Fields.of("", flag);
        assertThat(fields.parse(Map.of("flag", true), Map.of()).get(flag)).isTrue();
        assertThat(fields.parse(Map.of("flag", "FALSE"), Map.of()).get(flag)).isFalse();
        assertThatThrownBy(() -> fields.parse(Map.of("flag", "yes"), Map.of())).hasMessageContaining("write true or false");
    }

    @Test
    void documentationIsGeneratedFromTheDeclarations() {
        assertThat(ALL.markdownTable()).contains(
                "| `api.port` | `X_PORT` | integer | `8080` | Port of the API; 0 = off. (0-65535) |",
                "| `api.password` | `X_PASSWORD` | password | none | A password. |",
                "| `window` |  | duration | `10m` | Counting window. (longer than 0s) |");
        String yaml = ALL.exampleYaml();
        assertThat(yaml).contains("kafka:\n  # Kafka bootstrap servers. (non-empty) Environment: X_BOOTSTRAP.\n  bootstrap: 127.0.0.1:9092\n")
                .contains("api:\n  # Port of the API; 0 = off. (0-65535) Environment: X_PORT.\n  port: 8080\n")
                .contains("  # password: changeme\n")
                .contains("window: 10m\n")
                .contains("tags: [a, b]\n");
        // Keys of one block are written together even when declared apart (api.port ... window ... api.password).
        assertThat(yaml.indexOf("api:")).isEqualTo(yaml.lastIndexOf("api:"));
        assertThat(yaml.indexOf("password: changeme")).isBetween(yaml.indexOf("api:"), yaml.indexOf("window:"));
    }

    @Test
    void aSettingCannotBeBothAValueAndABlock() {
        assertThatThrownBy(() -> Fields.of("", Field.of("a", Type.STRING), Field.of("a.b", Type.STRING)))
                .hasMessageContaining("cannot also be the parent");
        assertThatThrownBy(() -> Fields.of("", Field.of("a", Type.STRING), Field.of("a", Type.INT)))
                .hasMessageContaining("declared twice");
    }
}
