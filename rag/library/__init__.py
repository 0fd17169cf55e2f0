"""The document library: add, correct, replace, remove and restore a corpus's documents while
it is served (:mod:`rag.library.store`), and the queue of index builds that follows each
change (:mod:`rag.library.jobs`)."""
