package dev.bulwark.detection;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;

import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;

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
        return discover(Detectors.class.getClassLoader());
    }

    /**
     * Every detector registered through {@link ServiceLoader} in this class loader, in a stable order (by name).
     *
     * @throws IllegalStateException naming each detector built against a detector API this Bulwark cannot run
     *     ({@link DetectorApi#incompatibility}), its jar, and what to do
     */
    public static List<Detector> discover(ClassLoader loader) {
        List<Detector> found = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (Detector detector : ServiceLoader.load(Detector.class, loader)) {
            String why = DetectorApi.incompatibility(detector.apiVersion());
            if (why != null) {
                refused.add("detector " + detector.name() + " (" + detector.getClass().getName() + " in "
                        + origin(detector.getClass()) + "): " + why);
            } else {
                found.add(detector);
            }
        }
        if (!refused.isEmpty()) {
            throw new IllegalStateException("cannot load " + String.join("; ", refused));
        }
        found.sort(java.util.Comparator.comparing(Detector::name));
        return found;
    }

    private static String origin(Class<?> type) {
        var source = type.getProtectionDomain().getCodeSource();
        return source == null || source.getLocation() == null ? "the class path" : source.getLocation().toString();
    }

    /**
     * A class loader that adds detector plugin jars to Bulwark's own classes: each path is a jar, or a directory whose
     * {@code *.jar} files are all added.
     *
     * @throws IllegalArgumentException naming a path that is neither
     */
    public static ClassLoader withPlugins(List<java.nio.file.Path> paths) throws java.io.IOException {
        List<java.net.URL> urls = new ArrayList<>();
        for (java.nio.file.Path path : paths) {
            if (java.nio.file.Files.isDirectory(path)) {
                try (var jars = java.nio.file.Files.list(path)) {
                    for (java.nio.file.Path jar : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                        urls.add(jar.toUri().toURL());
                    }
                }
            } else if (java.nio.file.Files.isRegularFile(path) && path.toString().endsWith(".jar")) {
                urls.add(path.toUri().toURL());
            } else {
                throw new IllegalArgumentException("detector plugin " + path + " is neither a jar nor a directory of jars");
            }
        }
        return urls.isEmpty() ? Detectors.class.getClassLoader()
                : new java.net.URLClassLoader("bulwark-plugins", urls.toArray(java.net.URL[]::new), Detectors.class.getClassLoader());
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

    /** The declared settings of {@code detector}, under {@code detection.detectors.<name>}. */
    public static dev.bulwark.config.Fields fields(Detector detector) {
        return dev.bulwark.config.Fields.of("detection.detectors." + detector.name(), detector.settings());
    }

    /**
     * Parses each detector's block of {@code config} against its declared settings.
     *
     * @throws dev.bulwark.config.ConfigException listing every unknown detector name, unknown key and bad value
     */
    public static java.util.Map<String, dev.bulwark.config.Settings> settings(List<Detector> detectors,
            java.util.Map<String, ? extends java.util.Map<String, ?>> config) {
        List<String> problems = new ArrayList<>();
        Set<String> names = new java.util.TreeSet<>();
        detectors.forEach(d -> names.add(d.name()));
        for (String name : config.keySet()) {
            if (!names.contains(name)) {
                problems.add("detection.detectors." + name + ": no detector is named " + name + "; detectors: "
                        + String.join(", ", names));
            }
        }
        java.util.Map<String, dev.bulwark.config.Settings> parsed = new java.util.LinkedHashMap<>();
        for (Detector detector : detectors) {
            try {
                parsed.put(detector.name(), fields(detector).parse(config.get(detector.name()), java.util.Map.of()));
            } catch (dev.bulwark.config.ConfigException e) {
                problems.addAll(e.problems());
            }
        }
        if (!problems.isEmpty()) {
            throw new dev.bulwark.config.ConfigException(problems);
        }
        return parsed;
    }
}
