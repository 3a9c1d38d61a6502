package net.aegirj.provision.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import net.aegirj.provision.api.Context;
import net.aegirj.provision.api.ContextName;
import net.aegirj.provision.api.Server;
import net.aegirj.provision.core.internal.JsonCodec;
import net.aegirj.provision.spi.ContextRepository;
import net.aegirj.provision.spi.Versioned;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FileContextRepository#list()} through its {@link ListSnapshot}: it must list exactly what
 * reading every file lists, whatever happened to the files, and read only the files that changed.
 */
class ListSnapshotTest {
  private static final long AHEAD = TimeUnit.SECONDS.toNanos(10);

  @TempDir Path tmp;

  /** A repository that snapshots from the first context, with a clock ahead so nothing is racy. */
  private static FileContextRepository snapshotting(Path home) {
    return new FileContextRepository(home, 1, () -> System.currentTimeMillis() * 1_000_000L + AHEAD);
  }

  /** The reference: every context file of the directory read and decoded, in name order. */
  private static List<Versioned> reference(Path home) {
    try (Stream<Path> files = Files.list(home.resolve("contexts"))) {
      return files.filter(f -> f.getFileName().toString().endsWith(".json") && !f.getFileName().toString().startsWith("."))
          .map(f -> {
            try {
              return JsonCodec.read(Files.readAllBytes(f));
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          })
          .sorted(Comparator.comparing(v -> v.context().name()))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Server server(int i, String host) {
    return Server.named("server_" + i).remoteHost(host).build();
  }

  private static Path file(Path home, int i) {
    return home.resolve("contexts/server_" + i + ".json");
  }

  /** Saves {@code server_0} … as new contexts, {@code server_<i>} on host {@code h<i>.example.com}. */
  private static void saveServers(FileContextRepository repo, int n) {
    for (int i = 0; i < n; i++) {
      repo.save(server(i, "h" + i + ".example.com"), ContextRepository.NEW);
    }
  }

  /** Rewrites bytes in place: no rename, the same inode, and the same size when {@code to} is as long. */
  private static void editInPlace(Path f, String from, String to) {
    try {
      String text = Files.readString(f, StandardCharsets.UTF_8);
      assertThat(text).as("%s holds %s", f, from).contains(from);
      byte[] bytes = text.replace(from, to).getBytes(StandardCharsets.UTF_8);
      try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(bytes), 0);
        ch.truncate(bytes.length);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void readsOnlyTheFilesThatChanged() throws Exception {
    Path home = tmp.resolve("home");
    FileContextRepository repo = snapshotting(home);
    saveServers(repo, 20);
    assertThat(repo.list()).as("first list").isEqualTo(reference(home));
    assertThat(repo.filesReadByLastList()).as("without a snapshot every file is read").isEqualTo(20);
    Path snapshot = home.resolve("contexts").resolve(ListSnapshot.FILE);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(snapshot)))
        .as("the snapshot holds secrets like the files: owner only").isEqualTo("rw-------");

    assertThat(repo.list()).as("second list").isEqualTo(reference(home));
    assertThat(repo.filesReadByLastList()).as("nothing changed: nothing read").isZero();

    repo.save(server(3, "changed.example.com"), 1);
    List<Versioned> afterSave = repo.list();
    assertThat(afterSave).as("after a save").isEqualTo(reference(home));
    assertThat(afterSave).as("the new version is listed").contains(new Versioned(server(3, "changed.example.com"), 2));
    assertThat(repo.filesReadByLastList()).as("only the saved file is read").isEqualTo(1);

    Thread.sleep(30); // past the file system clock's tick: the edit gets a later change time
    editInPlace(file(home, 5), "h5.example.com", "x5.example.com");
    assertThat(repo.list()).as("a same-size edit in place is seen").isEqualTo(reference(home))
        .contains(new Versioned(server(5, "x5.example.com"), 1));
    assertThat(repo.filesReadByLastList()).as("only the edited file is read").isEqualTo(1);

    repo.delete(ContextName.of("server_7"), 1);
    Files.copy(file(home, 8), home.resolve("contexts/server_8.json.bak"));
    Files.delete(file(home, 9));
    assertThat(repo.list()).as("deleted files are gone, other names are not contexts")
        .isEqualTo(reference(home)).hasSize(18);
    assertThat(repo.list()).as("and the snapshot forgot them").isEqualTo(reference(home));
    assertThat(repo.filesReadByLastList()).as("nothing read after the snapshot was rewritten").isZero();
  }

  @Test
  void filesChangedJustBeforeTheSnapshotAreReadAgain() {
    Path home = tmp.resolve("racy");
    FileContextRepository repo = new FileContextRepository(home, 1, () -> {
      java.time.Instant now = java.time.Instant.now();
      return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    });
    saveServers(repo, 5);
    repo.list();
    // Changed less than a second before the snapshot began: within a clock tick, an edit that
    // keeps the size could keep the times too, so the snapshot does not vouch for these files.
    editInPlace(file(home, 2), "h2.example.com", "y2.example.com");
    assertThat(repo.list()).as("an edit right after the snapshot").isEqualTo(reference(home))
        .contains(new Versioned(server(2, "y2.example.com"), 1));
    assertThat(repo.filesReadByLastList()).as("every recently changed file is read").isEqualTo(5);
  }

  @Test
  void aRepositoryThatShrankKeepsNoSnapshot() {
    Path home = tmp.resolve("shrank");
    FileContextRepository repo = new FileContextRepository(home, 5, () -> System.currentTimeMillis() * 1_000_000L + AHEAD);
    saveServers(repo, 6);
    repo.list();
    Path snapshot = home.resolve("contexts").resolve(ListSnapshot.FILE);
    assertThat(snapshot).as("kept from the threshold on").exists();
    repo.delete(ContextName.of("server_0"), 1);
    repo.delete(ContextName.of("server_1"), 1);
    assertThat(repo.list()).as("below the threshold").hasSize(4).isEqualTo(reference(home));
    assertThat(snapshot).as("no copy of the deleted contexts stays behind").doesNotExist();
  }

  @Test
  void aTornOrForeignSnapshotIsIgnoredAndReplaced() throws Exception {
    Path home = tmp.resolve("torn");
    FileContextRepository repo = snapshotting(home);
    saveServers(repo, 10);
    repo.list();
    Path snapshot = home.resolve("contexts").resolve(ListSnapshot.FILE);
    byte[] good = Files.readAllBytes(snapshot);
    List<byte[]> broken = new ArrayList<>();
    broken.add(java.util.Arrays.copyOf(good, good.length / 2));
    byte[] flipped = good.clone();
    flipped[good.length / 2] ^= 0x20;
    broken.add(flipped);
    broken.add("{\"not\": \"a snapshot\"}".getBytes(StandardCharsets.UTF_8));
    broken.add(new byte[0]);
    for (byte[] b : broken) {
      Files.write(snapshot, b);
      assertThat(repo.list()).as("a damaged snapshot (%d bytes) is ignored", b.length).isEqualTo(reference(home));
      assertThat(repo.filesReadByLastList()).as("every file is read instead").isEqualTo(10);
      assertThat(repo.list()).as("and it was replaced").isEqualTo(reference(home));
      assertThat(repo.filesReadByLastList()).as("by an intact one").isZero();
    }
  }

  @Test
  void listsWhatReadingEveryFileListsWhateverHappens() {
    qt().withExamples(25).forAll(longs().all()).checkAssert(seed -> {
      Random random = new Random(seed);
      Path home;
      try {
        home = Files.createTempDirectory(tmp, "prop");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      FileContextRepository repo = snapshotting(home);
      long[] versions = new long[8];
      for (int step = 0; step < 25; step++) {
        int i = random.nextInt(versions.length);
        String host = "h" + random.nextInt(1000) + ".example.com";
        switch (random.nextInt(5)) {
          case 0, 1 -> versions[i] = repo.save(server(i, host), versions[i]);
          case 2 -> {
            if (versions[i] != ContextRepository.NEW) {
              repo.delete(ContextName.of("server_" + i), versions[i]);
              versions[i] = ContextRepository.NEW;
            }
          }
          case 3 -> {
            if (versions[i] != ContextRepository.NEW) {
              Context stored = repo.load(ContextName.of("server_" + i)).orElseThrow().context();
              String old = ((Server) stored).remoteHost().orElseThrow();
              sleepPastATick();
              editInPlace(file(home, i), "\"" + old + "\"", "\"" + host + "\"");
            }
          }
          default -> {
            List<Versioned> listed = repo.list();
            assertThat(listed).as("seed %d, step %d: the list agrees with the files", seed, step)
                .isEqualTo(reference(home));
          }
        }
      }
      assertThat(repo.list()).as("seed %d: the final list agrees with the files", seed).isEqualTo(reference(home));
    });
  }

  /**
   * Lists running while other threads save: a list never shows a context older than the version
   * that was saved before the list began (the snapshot never serves bytes a later save replaced).
   */
  @Test
  void listsRacingSavesNeverGoBackInTime() throws Exception {
    Path home = tmp.resolve("race");
    FileContextRepository repo = snapshotting(home);
    int contexts = 12;
    java.util.concurrent.atomic.AtomicLongArray saved = new java.util.concurrent.atomic.AtomicLongArray(contexts);
    for (int i = 0; i < contexts; i++) {
      saved.set(i, repo.save(server(i, "h" + i + ".example.com"), ContextRepository.NEW));
    }
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2_500);
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<Integer>> work = new ArrayList<>();
      for (int w = 0; w < 2; w++) {
        int first = w;
        work.add(pool.submit(() -> {
          int n = 0;
          Random random = new Random(first);
          while (System.nanoTime() < until) {
            int i = first + 2 * random.nextInt(contexts / 2); // each saver owns half the contexts
            long v = repo.save(server(i, "h" + random.nextInt(1_000_000) + ".example.com"), saved.get(i));
            saved.set(i, v);
            n++;
          }
          return n;
        }));
      }
      for (int l = 0; l < 2; l++) {
        work.add(pool.submit(() -> {
          int n = 0;
          // A clock ahead: the snapshot vouches for every file whose stat matches, so the stat
          // check alone must catch each save (a new file by rename) that raced the snapshot.
          FileContextRepository reader = snapshotting(home);
          while (System.nanoTime() < until) {
            long[] before = new long[contexts];
            for (int i = 0; i < contexts; i++) {
              before[i] = saved.get(i);
            }
            for (Versioned v : reader.list()) {
              int i = Integer.parseInt(v.context().name().value().substring("server_".length()));
              assertThat(v.version()).as("%s listed at a version no older than the one saved before the list",
                  v.context().name()).isGreaterThanOrEqualTo(before[i]);
            }
            n++;
          }
          return n;
        }));
      }
      int saves = work.get(0).get() + work.get(1).get();
      int lists = work.get(2).get() + work.get(3).get();
      assertThat(saves).as("the savers saved").isPositive();
      assertThat(lists).as("the listers listed").isPositive();
    } finally {
      pool.shutdownNow();
    }
    assertThat(repo.list()).as("and the snapshot agrees with the files at the end").isEqualTo(reference(home));
  }

  private static void sleepPastATick() {
    try {
      Thread.sleep(15);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
