package dev.bulwark.sigma;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.bulwark.schemas.KubernetesAudit;
import dev.bulwark.schemas.ProcessInfo;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.UserInfo;

/** The acting user a rule finding records for the escalation check of folding. */
class SigmaFindingsUserTest {

    private static SecurityEvent.Builder event() {
        return SecurityEvent.newBuilder(SigmaTestSupport.exec("/usr/bin/id", "id"));
    }

    @Test
    void theAuditUserActsAndAnImpersonatedUserIsPartOfIt() {
        SecurityEvent audit = event().setUser(UserInfo.newBuilder().setName("other").build())
                .setKubernetesAudit(KubernetesAudit.newBuilder().setSubjectUser("alice").build()).build();
        SecurityEvent impersonating = event()
                .setKubernetesAudit(KubernetesAudit.newBuilder().setSubjectUser("alice")
                        .setImpersonatedUser("system:admin").build()).build();

        assertThat(SigmaFindings.actingUser(audit)).isEqualTo("alice");
        assertThat(SigmaFindings.actingUser(impersonating)).isEqualTo("alice as system:admin");
    }

    @Test
    void elseTheEventsUserElseTheProcesssUserElseNone() {
        SecurityEvent withUser = event().setUser(UserInfo.newBuilder().setName("www-data").build()).build();
        SecurityEvent processOnly = event().setUser(null).build();
        SecurityEvent none = event().setUser(null)
                .setProcess(ProcessInfo.newBuilder(processOnly.getProcess()).setUserName(null).build()).build();

        assertThat(SigmaFindings.actingUser(withUser)).isEqualTo("www-data");
        assertThat(SigmaFindings.actingUser(processOnly)).as("the test event's process runs as root").isEqualTo("root");
        assertThat(SigmaFindings.actingUser(none)).isNull();
    }
}
