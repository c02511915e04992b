package dev.bulwark.compliance;

import java.util.List;
import java.util.Objects;

/**
 * One control of a framework, as the catalogue ({@code controls.yaml}) declares it.
 *
 * @param framework {@code pss-baseline}, {@code pss-restricted}, {@code cis} or {@code nsa}
 * @param id the framework's own id ({@code 5.2.2}, {@code privileged-containers})
 * @param title the framework's title
 * @param source where the requirement is written
 * @param evidence what Bulwark reads to judge it
 * @param check how Bulwark judges it
 * @param note how Bulwark's judgement relates to the framework's wording, or null
 */
public record Control(String framework, String id, String title, String source, List<String> evidence, Check check,
                      String note) {

    public Control {
        Objects.requireNonNull(framework, "framework");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(source, "source");
        evidence = List.copyOf(evidence);
        Objects.requireNonNull(check, "check");
    }

    /** {@code framework/id}, unique in the catalogue. */
    public String key() {
        return framework + "/" + id;
    }
}
