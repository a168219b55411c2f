package dev.gort;

/** A program's main function, run as goroutine 1 by {@link Gort#run}. */
@FunctionalInterface
public interface GoMain {
    void main(String[] args) throws Exception;
}
