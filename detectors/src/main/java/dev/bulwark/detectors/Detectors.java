package dev.bulwark.detectors;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * Finds detectors on the class path and selects the enabled ones.
 *
 * <p>Why: a new detector is one class plus one line in {@code META-INF/services}; nothing in the core lists them.
 */
public final class Detectors {

    private Detectors() {
    }

    /** Every detector registered through {@link ServiceLoader}, in a stable order (by name). */
    public static List<Detector> discover() {
        List<Detector> found = new ArrayList<>();
        ServiceLoader.load(Detector.class).forEach(found::add);
        found.sort(java.util.Comparator.comparing(Detector::name));
        return found;
    }

    /**
     * The detectors to run: all of {@code available} except the disabled ones.
     *
     * @throws IllegalArgumentException when a name is unknown or two detectors share a name
     */
    public static List<Detector> enabled(List<Detector> available, Collection<String> disabled) {
        Set<String> names = new HashSet<>();
        for (Detector detector : available) {
            if (!names.add(detector.name())) {
                throw new IllegalArgumentException("two detectors are named '" + detector.name() + "'");
            }
        }
        for (String name : disabled) {
            if (!names.contains(name)) {
                throw new IllegalArgumentException("cannot disable unknown detector '" + name + "'; known: " + names);
            }
        }
        return available.stream().filter(d -> !disabled.contains(d.name())).toList();
    }
}
