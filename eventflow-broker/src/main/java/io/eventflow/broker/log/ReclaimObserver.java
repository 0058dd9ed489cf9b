package io.eventflow.broker.log;

/**
 * Told each step of a segment deletion or compaction as it completes. The broker passes {@link
 * #NONE}; the crash test stops the process at each step, to show that a restart from any of them
 * loses nothing and leaves no temporary file behind.
 */
@FunctionalInterface
public interface ReclaimObserver {

  /** Observes nothing. */
  ReclaimObserver NONE = step -> {};

  /** The steps, in the order they happen. */
  enum Step {
    /** Compaction wrote the first kept records to the temporary file. */
    COPY_STARTED,
    /** The temporary file holds every kept record and is forced; the segment file is untouched. */
    COPY_FORCED,
    /** The temporary file was renamed over the segment file; readers still use the original. */
    COPY_RENAMED,
    /** Readers use the compacted segment and the original's file handle is closed. */
    SWAPPED,
    /** A segment was taken out of the log in memory; its file is still there. */
    DELETING,
    /** The segment's file is deleted. */
    DELETED,
  }

  /** Called once {@code step} is done. */
  void reached(Step step);
}
