package dev.bulwark.detectors.api;

/**
 * The version of the detector API, and the rule that decides whether a detector built against one version runs on
 * another.
 *
 * <p>Why: a detector plugin is a jar built at one time and loaded by whatever Bulwark runs later. The API follows
 * semantic versioning: a minor version only adds (new methods have defaults, new types are new), a major version may
 * break. So a detector runs when it was built against the same major version and a minor version no newer than the
 * running API's. A detector states the version it was compiled against by returning {@link #VERSION} from
 * {@link Detector#apiVersion()}; the compiler copies the constant's value into the detector's class, so the value is
 * the one of the API it was built with, not of the API it runs on.
 */
public final class DetectorApi {

    /**
     * This API's version, {@code major.minor}. 1.1 added {@link DetectorContext#tuning} and {@link TenantTuning}
     * (per-tenant exceptions and correlation thresholds), and {@link DetectorContext#ruleTelemetry} and
     * {@link RuleTelemetry} (per-rule cost).
     */
    public static final String VERSION = "1.1";

    private DetectorApi() {
    }

    /**
     * Why a detector built against {@code builtAgainst} cannot run on this API, or {@code null} when it can: same major
     * version, and a minor version no newer than {@link #VERSION}'s.
     *
     * @param builtAgainst what the detector's {@link Detector#apiVersion()} returned; may be null or malformed
     */
    public static String incompatibility(String builtAgainst) {
        return incompatibility(builtAgainst, VERSION);
    }

    /** {@link #incompatibility(String)} against another running version (for tests of the rule). */
    static String incompatibility(String builtAgainst, String running) {
        int[] plugin = parse(builtAgainst);
        int[] here = parse(running);
        if (plugin == null) {
            return "it declares detector API version '" + builtAgainst + "', which is not major.minor; return "
                    + "DetectorApi.VERSION from apiVersion()";
        }
        if (plugin[0] != here[0]) {
            return "it was built against detector API " + builtAgainst + " and this Bulwark runs API " + running
                    + " (another major version): rebuild it against bulwark-detectors-api " + here[0] + ".x";
        }
        if (plugin[1] > here[1]) {
            return "it was built against detector API " + builtAgainst + ", newer than this Bulwark's " + running
                    + ": upgrade Bulwark, or rebuild the detector against API " + running;
        }
        return null;
    }

    private static int[] parse(String version) {
        if (version == null || !version.matches("\\d{1,4}\\.\\d{1,4}")) {
            return null;
        }
        String[] parts = version.split("\\.");
        return new int[] {Integer.parseInt(parts[0]), Integer.parseInt(parts[1])};
    }
}
