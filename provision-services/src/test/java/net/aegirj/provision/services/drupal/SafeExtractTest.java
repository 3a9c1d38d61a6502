package net.aegirj.provision.services.drupal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import net.aegirj.provision.api.InvalidContextException;
import net.aegirj.provision.api.Text;
import net.aegirj.provision.core.host.LocalHost;
import net.aegirj.provision.testkit.Generators;
import net.aegirj.provision.testkit.HostileArchives;
import net.aegirj.provision.testkit.HostileArchives.Archive;
import net.aegirj.provision.testkit.HostileArchives.Flaw;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive check and the unpacking on the local file system, fed with the seeded
 * {@link HostileArchives}: every hostile archive is refused with an error that names the archive
 * and the bad member, before anything is written; every valid-looking one is unpacked with
 * nothing set-uid, sticky or world-writable, no link leading out, and nothing outside the new
 * directory changed.
 *
 * <p>CI runs {@value #DEFAULT_ARCHIVES} archives from seed {@value #DEFAULT_SEED};
 * {@code -Darchives.corpus=100000 -Darchives.seed=…} runs more or others.
 */
class SafeExtractTest {
  static final int DEFAULT_ARCHIVES = 3000;
  static final long DEFAULT_SEED = 20261214L;
  private static final int ARCHIVES = Integer.getInteger("archives.corpus", DEFAULT_ARCHIVES);
  private static final long SEED = Long.getLong("archives.seed", DEFAULT_SEED);
  /** Test-sized limits, so that the member bound is reached by a small archive. */
  static final ArchiveCheck.Limits LIMITS = new ArchiveCheck.Limits(ArchiveCheck.MAX_TOTAL_BYTES, 1000,
      ArchiveCheck.MAX_PATH_LENGTH);

  @TempDir Path tmp;
  Path world;
  Path sites;
  String group;

  @BeforeEach
  void world() throws IOException {
    world = Files.createDirectories(tmp.resolve("world"));
    sites = Files.createDirectories(world.resolve("platform/sites"));
    Files.writeString(Files.createDirectories(world.resolve("etc")).resolve("passwd"), "root:x:0:0\n");
    Files.writeString(sites.resolve("other.example.com"), "another site\n");
    group = Files.readAttributes(tmp, PosixFileAttributes.class).group().getName();
  }

  /** Every path under the world with its kind, mode and content or target. */
  static Map<String, String> snapshot(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        String what = Files.isSymbolicLink(p) ? "link " + Files.readSymbolicLink(p)
            : Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "dir"
            : "file " + Integer.toHexString(java.util.Arrays.hashCode(Files.readAllBytes(p)));
        out.put(root.relativize(p).toString(), what + " " + Integer.toOctalString(mode));
      }
    }
    return out;
  }

  private ArchiveCheck check(Path archive, ArchiveCheck.Limits limits) {
    return new ArchiveCheck("example.com", archive.toString(), limits);
  }

  @Test
  void everyGeneratedArchiveIsRefusedByMemberOrUnpackedSafely() throws IOException {
    System.out.printf("SafeExtractTest: %d archives, seed %d (-Darchives.corpus=N -Darchives.seed=%d)%n",
        ARCHIVES, SEED, SEED);
    LocalHost local = new LocalHost("local");
    Map<Flaw, Integer> seen = new EnumMap<>(Flaw.class);
    Path archive = tmp.resolve("in.tar.gz");
    Random seeds = new Random(SEED);
    for (int i = 0; i < ARCHIVES; i++) {
      long seed = seeds.nextLong();
      Archive a = HostileArchives.generate(Generators.random(seed));
      seen.merge(a.flaw(), 1, Integer::sum);
      Files.write(archive, a.gzip());
      Map<String, String> before = snapshot(world);
      Path target = sites.resolve("example.com");
      Throwable t = catchThrowable(() -> SafeExtract.unpack(check(archive, LIMITS), local, archive, target, group));
      if (a.flaw() == Flaw.NONE) {
        assertThat(t).as("seed %d: %s is accepted", seed, a).isNull();
        checkUnpacked(seed, target);
        deleteTree(target);
      } else {
        assertThat(t).as("seed %d: %s is refused as bad input", seed, a).isInstanceOf(InvalidContextException.class);
        assertThat(t.getMessage()).as("seed %d: %s: the refusal names the archive", seed, a).contains(archive.toString());
        if (a.member() != null) {
          assertThat(t.getMessage()).as("seed %d: %s: the refusal names the member", seed, a)
              .contains(Text.quote(a.member()));
        }
        assertThat(target).as("seed %d: %s: nothing unpacked", seed, a).doesNotExist();
      }
      assertThat(snapshot(world)).as("seed %d: %s: nothing else changed", seed, a).isEqualTo(before);
    }
    System.out.println("SafeExtractTest: archives by flaw " + seen);
    assertThat(seen.keySet()).as("every flaw was tried").containsAll(List.of(Flaw.values()));
  }

  private void checkUnpacked(long seed, Path target) throws IOException {
    Path real = target.toRealPath();
    try (Stream<Path> s = Files.walk(target)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String rel = target.relativize(p).toString();
        int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
        if (Files.isSymbolicLink(p)) {
          Path to = p.getParent().resolve(Files.readSymbolicLink(p)).normalize();
          assertThat(to.startsWith(target)).as("seed %d: link %s stays inside", seed, rel).isTrue();
          if (Files.exists(p)) {
            assertThat(p.toRealPath().startsWith(real)).as("seed %d: link %s resolves inside", seed, rel).isTrue();
          }
          continue;
        }
        boolean dir = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
        assertThat(dir || Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
            .as("seed %d: %s is a file or a directory", seed, rel).isTrue();
        assertThat(mode & 05002).as("seed %d: %s is not set-uid, sticky or world-writable: %o", seed, rel, mode)
            .isZero();
        if (!dir) {
          assertThat(mode & 02000).as("seed %d: file %s is not set-gid", seed, rel).isZero();
          assertThat((Integer) Files.getAttribute(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS))
              .as("seed %d: %s has one name", seed, rel).isEqualTo(1);
        }
      }
    }
    assertThat(Files.getAttribute(target.resolve("files"), "unix:mode", LinkOption.NOFOLLOW_LINKS))
        .as("files/ is Aegir's web directory (02770)").isEqualTo(02770 | 040000);
    assertThat(Files.getAttribute(target.resolve("database.sql"), "unix:mode", LinkOption.NOFOLLOW_LINKS))
        .as("the dump is private").isEqualTo(0600 | 0100000);
  }

  private static void deleteTree(Path p) throws IOException {
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    }
  }

  @Test
  void devicesFifosSetuidFilesAndAFilesLinkAreRefusedByName() throws IOException {
    LocalHost local = new LocalHost("local");
    Path archive = tmp.resolve("bad.tar.gz");
    for (Flaw f : List.of(Flaw.CHAR_DEVICE, Flaw.BLOCK_DEVICE, Flaw.FIFO, Flaw.SETUID, Flaw.FILES_LINK, Flaw.HARD_LINK,
        Flaw.LINK_CHAIN_OUT, Flaw.ABSOLUTE_PATH, Flaw.DOT_DOT)) {
      Archive a = HostileArchives.of(new Random(f.ordinal()), f);
      Files.write(archive, a.gzip());
      Path target = sites.resolve("example.com");
      assertThatThrownBy(() -> SafeExtract.unpack(check(archive, ArchiveCheck.Limits.DEFAULT), local, archive, target, group))
          .as("%s is refused", a).isInstanceOf(InvalidContextException.class)
          .hasMessageContaining(Text.quote(a.member())).hasMessageContaining("nothing was unpacked");
      assertThat(target).as("%s: nothing unpacked", a).doesNotExist();
    }
  }

  @Test
  void aGzipBombIsRefusedWithinItsBound() throws IOException {
    // 64 MiB of zeros in one member compress to about 64 KiB; the bound here is 1 MiB.
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    byte[] header = new byte[512];
    byte[] name = "./files/zeros".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(name, 0, header, 0, name.length);
    put(header, 100, "0000644\0");
    put(header, 124, String.format("%011o\0", 64L << 20));
    put(header, 136, "00000000000\0");
    header[156] = '0';
    put(header, 257, "ustar\0" + "00");
    java.util.Arrays.fill(header, 148, 156, (byte) ' ');
    int sum = 0;
    for (byte b : header) {
      sum += b & 0xff;
    }
    put(header, 148, String.format("%06o\0 ", sum));
    tar.write(header);
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(tar.toByteArray());
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 64 + 2; i++) {
        out.write(zeros);
      }
    }
    ArchiveCheck small = new ArchiveCheck("example.com", "bomb.tar.gz", new ArchiveCheck.Limits(1 << 20, 1000, 4096));
    assertThatThrownBy(() -> small.read(new ByteArrayInputStream(gz.toByteArray()), ArchiveCheck.CHECK_ONLY, null))
        .as("the member's size is over the bound: refused from its header, before its bytes are inflated")
        .isInstanceOf(InvalidContextException.class).hasMessageContaining("./files/zeros");
    Archive pax = HostileArchives.of(new Random(1), Flaw.PAX_BOMB);
    assertThatThrownBy(() -> check(tmp.resolve("pax.tar.gz"), ArchiveCheck.Limits.DEFAULT)
        .read(new ByteArrayInputStream(pax.gzip()), ArchiveCheck.CHECK_ONLY, null))
        .as("four MiB of pax records are refused").isInstanceOf(InvalidContextException.class)
        .hasMessageContaining("header");
  }

  private static void put(byte[] h, int off, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, h, off, b.length);
  }

  @Test
  void anArchiveThatChangesBetweenCheckAndUnpackIsRefused() throws IOException {
    Archive first = HostileArchives.valid(new Random(7));
    // Swapped for another archive that would pass the check on its own: only the change is wrong.
    Archive swapped = HostileArchives.valid(new Random(8));
    ArchiveCheck c = check(tmp.resolve("x.tar.gz"), ArchiveCheck.Limits.DEFAULT);
    List<ArchiveCheck.Member> checked = c.read(new ByteArrayInputStream(first.gzip()), ArchiveCheck.CHECK_ONLY, null);
    List<String> written = new java.util.ArrayList<>();
    assertThatThrownBy(() -> c.read(new ByteArrayInputStream(swapped.gzip()), (m, in) -> written.add(m.path()), checked))
        .as("the second reading finds other members").isInstanceOf(InvalidContextException.class)
        .hasMessageContaining("changed while it was read");
    assertThat(checked.stream().map(ArchiveCheck.Member::path).toList())
        .as("only members that were checked reached the sink, in their order: %s", written)
        .startsWith(written.toArray(String[]::new));
  }
}
