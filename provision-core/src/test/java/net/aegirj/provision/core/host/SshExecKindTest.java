package net.aegirj.provision.core.host;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@link SshExec#kindOf}: exchanges are counted by a kind that never holds a path or a site's name. */
class SshExecKindTest {
  @Test
  void aKindIsTheVerbAndAPlainSecondWord() {
    assertThat(SshExec.kindOf("probe 21 path(s)")).as("the batch's probe, its count as N").isEqualTo("probe N");
    assertThat(SshExec.kindOf("probe the grant host of @server_web1 on @server_db")).as("the grant-host probe")
        .isEqualTo("probe the");
    assertThat(SshExec.kindOf("apply 35 change(s) in one stream")).as("held-back changes").isEqualTo("apply N");
    assertThat(SshExec.kindOf("getent passwd 0")).as("an owner's name").isEqualTo("getent passwd");
    assertThat(SshExec.kindOf("/usr/sbin/nginx -t -q -c /etc/nginx.conf")).as("a command by path: its file name")
        .isEqualTo("nginx -t");
  }

  @Test
  void aPathOrASiteNameIsLeftOut() {
    assertThat(SshExec.kindOf("stat /var/aegir/platforms/d10/sites/a.example.com")).as("a path")
        .isEqualTo("stat");
    assertThat(SshExec.kindOf("sync /var/aegir/platforms/d10/sites/a.example.com")).as("a sync").isEqualTo("sync");
    assertThat(SshExec.kindOf("create directory /var/aegir/x")).as("a two-word verb").isEqualTo("create directory");
    assertThat(SshExec.kindOf("drush @a.example.com status")).as("a site's alias").isEqualTo("drush");
    assertThat(SshExec.kindOf("rm -rf 3 path(s) under /x")).as("an option").isEqualTo("rm -rf");
  }
}
