/**
 * The test run's scratch folder: globalSetup creates it and names it in this variable, which Jest's workers inherit;
 * globalTeardown removes it with what the test processes left in it. A test process's own folders go there, since a
 * test file cannot rely on its process's `exit` to remove them (they were left in the system's temporary folder at
 * every run).
 */
export const RUN_DIR_ENV = 'IO_TEST_RUN_DIR';
