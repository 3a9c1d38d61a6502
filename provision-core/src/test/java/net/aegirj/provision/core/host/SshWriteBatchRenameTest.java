package net.aegirj.provision.core.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SshWriteBatch#RENAME}: the one process that renames a batch's files into place, run here by perl. */
class SshWriteBatchRenameTest {
  @TempDir Path dir;

  private int rename(Path... pairs) throws Exception {
    ByteArrayOutputStream in = new ByteArrayOutputStream();
    for (Path p : pairs) {
      in.writeBytes(p.toString().getBytes(StandardCharsets.UTF_8));
      in.write(0);
    }
    Process p = new ProcessBuilder("perl", "-e", SshWriteBatch.RENAME).redirectErrorStream(true).start();
    p.getOutputStream().write(in.toByteArray());
    p.getOutputStream().close();
    p.getInputStream().readAllBytes();
    return p.waitFor();
  }

  @Test
  void renamesEachTemporaryOverItsTarget() throws Exception {
    Path tmpA = Files.writeString(dir.resolve(".tmp-a"), "new a");
    Path a = Files.writeString(dir.resolve("a"), "old a");
    Path tmpB = Files.writeString(dir.resolve(".tmp-b\nwith a newline"), "new b");
    Path b = dir.resolve("b c");
    assertThat(rename(tmpA, a, tmpB, b)).as("perl's exit status").isZero();
    assertThat(Files.readString(a)).as("replaced").isEqualTo("new a");
    assertThat(Files.readString(b)).as("created, a name with a space from one with a newline").isEqualTo("new b");
    assertThat(tmpA).as("the temporary name is gone").doesNotExist();
  }

  @Test
  void stopsAtTheFirstFailure() throws Exception {
    Path tmpA = Files.writeString(dir.resolve(".tmp-a"), "new a");
    Path target = Files.createDirectories(dir.resolve("a-directory")).resolve("x");
    Files.writeString(target, "a file inside: the directory is not empty");
    Path tmpB = Files.writeString(dir.resolve(".tmp-b"), "new b");
    Path b = dir.resolve("b");
    assertThat(rename(tmpA, dir.resolve("a-directory"), tmpB, b)).as("a file over a directory fails").isNotZero();
    assertThat(b).as("nothing after the failure is renamed").doesNotExist();
    assertThat(tmpB).as("its temporary is left for the script's clean-up").exists();
  }
}
