package dev.bulwark.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class SchemaCompatibilityTest {

    @ParameterizedTest
    @ValueSource(classes = {SecurityEvent.class, Finding.class, DeadLetter.class, TenantContext.class})
    void currentSchemaCanReadEveryReleasedVersion(Class<?> type) {
        Schema current = SpecificData.get().getSchema(type);
        List<Schema> released = SchemaHistory.olderVersionsOf(current.getFullName());
        assertThat(released).as("schema history of %s", type.getSimpleName()).isNotEmpty();
        for (Schema writer : released) {
            var result = SchemaCompatibility.checkReaderWriterCompatibility(current, writer);
            assertThat(result.getType())
                    .as("reading %s written with a released version: %s", type.getSimpleName(), result.getDescription())
                    .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        }
    }

    @Test
    void addingAnOptionalFieldIsBackwardCompatible() {
        Schema current = SecurityEvent.getClassSchema();
        Schema evolved = withExtraField(current, "{\"name\":\"new_optional\",\"type\":[\"null\",\"string\"],\"default\":null}");
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(evolved, current).getType())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    }

    @Test
    void addingARequiredFieldWithoutDefaultIsDetectedAsIncompatible() {
        Schema current = SecurityEvent.getClassSchema();
        Schema evolved = withExtraField(current, "{\"name\":\"new_required\",\"type\":\"string\"}");
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(evolved, current).getType())
                .isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
    }

    private static Schema withExtraField(Schema schema, String fieldJson) {
        String json = schema.toString();
        int lastBracket = json.lastIndexOf(']');
        String evolved = json.substring(0, lastBracket) + "," + fieldJson + json.substring(lastBracket);
        return new Schema.Parser().parse(evolved);
    }
}
