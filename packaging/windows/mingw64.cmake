# CMake toolchain file: 64-bit Windows with Debian's mingw-w64 (posix thread
# model: kist's threads are pthreads, through winpthreads), the libraries from
# the prefix packaging/build-windows.sh builds.
#
#   cmake -S . -B build-win -DCMAKE_TOOLCHAIN_FILE=packaging/windows/mingw64.cmake \
#         -DKIST_WIN_PREFIX=build-windows/.deps/prefix -DKIST_STATIC_BINARY=ON ...
#
# (KIST_WIN_PREFIX may also come from the environment.)
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(KIST_MINGW x86_64-w64-mingw32)

set(CMAKE_C_COMPILER ${KIST_MINGW}-gcc-posix)
set(CMAKE_CXX_COMPILER ${KIST_MINGW}-g++-posix)
set(CMAKE_RC_COMPILER ${KIST_MINGW}-windres)
set(CMAKE_AR ${KIST_MINGW}-ar CACHE FILEPATH "ar")
set(CMAKE_RANLIB ${KIST_MINGW}-ranlib CACHE FILEPATH "ranlib")

if(NOT KIST_WIN_PREFIX)
  set(KIST_WIN_PREFIX "$ENV{KIST_WIN_PREFIX}")
endif()
if(NOT KIST_WIN_PREFIX)
  message(FATAL_ERROR "mingw64.cmake: set KIST_WIN_PREFIX to the dependency prefix "
                      "(packaging/build-windows.sh builds it in OUTDIR/.deps/prefix)")
endif()
get_filename_component(KIST_WIN_PREFIX "${KIST_WIN_PREFIX}" ABSOLUTE)
# try_compile projects read this file again: hand the prefix on to them.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES KIST_WIN_PREFIX)

# Headers and libraries from the prefix and mingw's own root only; programs
# (pkg-config) from the build machine.
set(CMAKE_FIND_ROOT_PATH "${KIST_WIN_PREFIX}" /usr/${KIST_MINGW})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config sees the prefix's .pc files and nothing of the build machine's.
set(ENV{PKG_CONFIG_LIBDIR} "${KIST_WIN_PREFIX}/lib/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
unset(ENV{PKG_CONFIG_SYSROOT_DIR})
set(PKG_CONFIG_EXECUTABLE pkg-config CACHE FILEPATH "pkg-config of the build machine")
