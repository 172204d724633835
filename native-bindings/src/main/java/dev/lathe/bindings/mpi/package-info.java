/**
 * Panama bindings for the MPI C API (Open MPI and MPICH): what CPU data-parallel training needs on
 * MPI_COMM_WORLD.
 */
package dev.lathe.bindings.mpi;
