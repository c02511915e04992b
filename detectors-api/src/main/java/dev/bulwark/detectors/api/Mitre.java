package dev.bulwark.detectors.api;

import java.util.List;

import dev.bulwark.schemas.MitreAttack;

/** MITRE ATT&CK classifications for findings. */
public final class Mitre {

    private Mitre() {
    }

    /**
     * A classification.
     *
     * @param tactics tactic names in ATT&CK's kebab-case ({@code lateral-movement})
     * @param techniques technique ids ({@code T1610}, {@code T1059.004})
     */
    public static MitreAttack of(List<String> tactics, List<String> techniques) {
        return MitreAttack.newBuilder().setTactics(List.copyOf(tactics)).setTechniques(List.copyOf(techniques)).build();
    }
}
