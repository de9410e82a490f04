#!/usr/bin/env bash
# leaflets on Slurm: `sbatch docs/slurm-array.sh` starts a job array of three tasks, each building one
# shard of the entries into one shared output folder. Slurm sets SLURM_ARRAY_TASK_ID (1, 2, 3) and
# SLURM_ARRAY_TASK_MIN (1); `--shard 3` takes the index as their difference. Keep the array's size
# and SHARDS equal. A task re-run (`sbatch --array=2 ...`) builds only what its shard still misses.
#SBATCH --job-name=leaflets
#SBATCH --array=1-3
#SBATCH --cpus-per-task=2
#SBATCH --mem=2G
#SBATCH --time=01:00:00
#SBATCH --output=leaflets-%A_%a.log
set -euo pipefail

ENTRIES=${ENTRIES:-/shared/pharmacy/entries}
OUT=${OUT:-/shared/pharmacy/leaflets}
SHARDS=3
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1767225600}   # the same printed date in every task

leaflets build "$ENTRIES" --out "$OUT" --jobs "${SLURM_CPUS_PER_TASK:-1}" --shard "$SHARDS" --quiet
