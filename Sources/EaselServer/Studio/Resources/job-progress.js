// job-progress
