package dev.bulwark.detectors.container;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.streams.kstream.KStream;

import dev.bulwark.config.Field;
import dev.bulwark.config.Type;
import dev.bulwark.config.Validator;
import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.detectors.api.Mitre;
import dev.bulwark.detectors.api.Severity;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.ProcessInfo;
import dev.bulwark.schemas.SecurityEvent;

/**
 * Flags an interactive shell (a shell attached to a terminal) started inside a container: the classic sign of
 * {@code kubectl exec -it} by a person, or of an attacker with a reverse shell and a pty.
 *
 * <p>Works on any source that reports process starts with a terminal: Falco alerts ({@code proc.tty}), and runtime
 * exec events that set {@code process.interactive}. Containers only: host processes are out of scope here.
 * Configuration: {@code shells} (comma-separated names) replaces the default shell list.
 */
public final class InteractiveShellInContainerDetector implements Detector {

    /** Stable rule id of the finding. */
    public static final String RULE_ID = "bulwark.container.interactive_shell";

    /** Shell names matched when none are configured. */
    public static final Set<String> DEFAULT_SHELLS = Set.of("sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "csh", "tcsh",
            "fish", "busybox");

    private static final MitreAttack MITRE = Mitre.of(
            List.of("execution"), List.of("T1059.004", "T1609"));

    @Override
    public String name() {
        return "interactive-shell-in-container";
    }

    @Override
    public String apiVersion() {
        return DetectorApi.VERSION;
    }

    /** {@code shells}: the process names that count as shells. */
    public static final Field<List<String>> SHELLS = Field.of("shells", Type.LIST)
            .withDefault(DEFAULT_SHELLS.stream().sorted().toList())
            .withValidator(Validator.of((List<String> l) -> !l.isEmpty(), "at least one name"))
            .withDoc("Process names that count as shells (replaces the default list).");

    @Override
    public List<Field<?>> settings() {
        return List.of(SHELLS);
    }

    @Override
    public KStream<String, Finding> build(DetectorContext context) {
        Set<String> shells = Set.copyOf(context.settings().get(SHELLS));
        return context.events()
                .filter((key, event) -> isInteractiveShellInContainer(event, shells), context.named("filter"))
                .mapValues(event -> toFinding(event, context), context.named("finding"));
    }

    /** True when {@code event} is an interactive shell start inside a container, for the given shell names. */
    public static boolean isInteractiveShellInContainer(SecurityEvent event, Set<String> shells) {
        ProcessInfo process = event.getProcess();
        if (process == null || event.getContainer() == null) {
            return false;
        }
        String id = event.getContainer().getId();
        if (id == null || id.isBlank() || "host".equals(id)) {
            return false;
        }
        if (!shells.contains(shellName(process))) {
            return false;
        }
        return Boolean.TRUE.equals(process.getInteractive()) || (process.getTty() != null && process.getTty() != 0);
    }

    /** The process name, or the base name of the executable when the name is missing. */
    private static String shellName(ProcessInfo process) {
        if (process.getName() != null) {
            return process.getName();
        }
        String exe = process.getExecutable();
        return exe == null ? "" : exe.substring(exe.lastIndexOf('/') + 1);
    }

    private Finding toFinding(SecurityEvent event, DetectorContext context) {
        ProcessInfo process = event.getProcess();
        String namespace = event.getKubernetes() == null ? null : event.getKubernetes().getNamespace();
        String pod = event.getKubernetes() == null ? null : event.getKubernetes().getPod();
        String parent = process.getParent() == null ? null : process.getParent().getName();
        String user = process.getUserName() != null ? process.getUserName()
                : event.getUser() == null ? null : event.getUser().getName();
        String where = pod == null ? "container " + event.getContainer().getId()
                : "pod " + namespace + "/" + pod + " (container " + event.getContainer().getId() + ")";
        String summary = "Interactive shell '" + shellName(process) + "' started in " + where
                + (event.getContainer().getImageName() == null ? "" : ", image " + event.getContainer().getImageName())
                + (user == null ? "" : ", user " + user)
                + (parent == null ? "" : ", parent " + parent)
                + (process.getCommandLine() == null ? "" : ": " + process.getCommandLine());
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put("process.name", shellName(process));
        evidence.put("process.command_line", process.getCommandLine());
        evidence.put("process.parent.name", parent);
        evidence.put("process.tty", process.getTty() == null ? null : process.getTty().toString());
        evidence.put("user.name", user);
        evidence.put("container.id", event.getContainer().getId());
        evidence.put("container.image.name", event.getContainer().getImageName());
        evidence.put("kubernetes.namespace", namespace);
        evidence.put("kubernetes.pod", pod);
        evidence.put("source.rule", event.getRule() == null ? null : event.getRule().getName());
        return context.finding(event).rule(RULE_ID, "Interactive shell spawned in a container").severity(Severity.HIGH).mitre(MITRE)
                .summary(summary).evidence(evidence).identity(event.getContainer().getId(), event.getId()).build();
    }
}
