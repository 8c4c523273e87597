# The Debian package (CPack DEB generator): kist_VERSION_ARCH.deb with the
# binary, libkist (.so and .a), kist.h, kist.pc, man pages, completions and
# docs.  Build it from a build folder configured with the /usr prefix:
#
#   cmake -S . -B build-pkg -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
#         -DKIST_BUILD_TESTS=OFF
#   cmake --build build-pkg -j2 && (cd build-pkg && cpack -G DEB)
#
# Dependencies come from dpkg-shlibdeps (dpkg-dev) on the installed binaries.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kist)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "The kist project")
set(CPACK_PACKAGE_CONTACT "The kist project <kist@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "seal evidence into encrypted, indexed vaults")
set(CPACK_PACKAGE_DESCRIPTION
    "kist seals files and folders into one encrypted vault file that only the chosen\n\
recipients can open (X25519, ChaCha20-Poly1305, zstd).  Every byte is\n\
authenticated, names and sizes are encrypted in an index inside the vault, and\n\
the sealer can sign it (Ed25519).  Includes the kist tool, libkist, man pages\n\
and shell completions.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # kist_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON) # shlibs file and ldconfig trigger for libkist.so.0
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "bash-completion")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "age")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
# Nothing from the build machine's paths or time in the package metadata.
set(CPACK_SOURCE_IGNORE_FILES "/build.*/;/\\\\.git/")
include(CPack)
