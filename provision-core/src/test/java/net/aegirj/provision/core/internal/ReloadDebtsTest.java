package net.aegirj.provision.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import net.aegirj.provision.api.ContextName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reload debts: held while a task runs, paid when it ends well, left to the next task when it is killed. */
class ReloadDebtsTest {
  @TempDir Path dir;

  private static final ContextName MASTER = ContextName.MASTER;
  private static final ContextName WEB = ContextName.of("server_web");

  @Test
  void aDebtHeldByARunningTaskIsNoOrphanAndAPaidOneIsGone() {
    ReloadDebts debts = new ReloadDebts(dir.resolve("reload-owed"));
    assertThat(debts.orphans(MASTER, "http")).as("nothing owed before any task").isEmpty();
    ReloadDebts.Debt running = debts.owe(MASTER, "http");
    assertThat(debts.orphans(MASTER, "http")).as("a running task's debt belongs to it").isEmpty();
    running.pay();
    assertThat(debts.orphans(MASTER, "http")).as("a paid debt is gone").isEmpty();
    assertThat(dir.resolve("reload-owed")).as("and its file with it").isEmptyDirectory();
  }

  @Test
  void aDebtLeftUnpaidIsFoundByTheNextTaskForTheSameServiceOnly() {
    ReloadDebts debts = new ReloadDebts(dir.resolve("reload-owed"));
    debts.owe(MASTER, "http").close(); // what a kill leaves: the file, no lock
    assertThat(debts.orphans(WEB, "http")).as("another server owes nothing").isEmpty();
    assertThat(debts.orphans(MASTER, "dns")).as("another service owes nothing").isEmpty();
    List<ReloadDebts.Debt> orphans = debts.orphans(MASTER, "http");
    assertThat(orphans).as("the next task for http on the master finds the debt").hasSize(1);
    assertThat(debts.orphans(MASTER, "http")).as("while that task holds it, no other task takes it").isEmpty();
    orphans.forEach(ReloadDebts.Debt::pay);
    assertThat(debts.orphans(MASTER, "http")).as("paid once the reload ran").isEmpty();
  }

  @Test
  void aDebtAbandonedBeforeItWasRenamedIsRemovedOnceOld() throws Exception {
    Path owed = dir.resolve("reload-owed");
    ReloadDebts debts = new ReloadDebts(owed);
    debts.owe(MASTER, "http").pay(); // makes the directory
    Path old = Files.writeString(owed.resolve(".new-0011223344556677"), "@server_master http\n");
    Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(ReloadDebts.ABANDONED).minusSeconds(5)));
    Path young = Files.writeString(owed.resolve(".new-8899aabbccddeeff"), "@server_master http\n");
    assertThat(debts.orphans(MASTER, "http")).as("a debt never renamed was never in force: nothing owed").isEmpty();
    assertThat(old).as("a kill's leftover is removed once it is old").doesNotExist();
    assertThat(young).as("a young one may belong to a live task and is left alone").exists();
  }
}
