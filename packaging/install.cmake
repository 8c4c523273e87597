# Install rules beyond the binary, libraries and header (src/CMakeLists.txt):
# pkg-config file, man pages, shell completions, documentation.  Included from
# the top-level CMakeLists.txt.

# kist.pc, relocatable: the way back from libdir/pkgconfig to the prefix.
file(RELATIVE_PATH KIST_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
string(REGEX REPLACE "/$" "" KIST_PC_TO_PREFIX "${KIST_PC_TO_PREFIX}")
if(ISAL_FOUND)
  set(KIST_PC_ISAL ", libisal >= 2.25")
else()
  set(KIST_PC_ISAL "")
endif()
configure_file(${PROJECT_SOURCE_DIR}/packaging/kist.pc.in ${PROJECT_BINARY_DIR}/kist.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/kist.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(FILES ${PROJECT_SOURCE_DIR}/docs/man/kist.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/docs/man/kist-format.5
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)

set(KIST_COMPLETIONS ${PROJECT_SOURCE_DIR}/packaging/completions)
install(FILES ${KIST_COMPLETIONS}/kist.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME kist)
install(FILES ${KIST_COMPLETIONS}/_kist DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES ${KIST_COMPLETIONS}/kist.fish
        DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)

install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/FORMAT.md
              ${PROJECT_SOURCE_DIR}/docs/INDEX.md ${PROJECT_SOURCE_DIR}/docs/SECURITY.md
              ${PROJECT_SOURCE_DIR}/docs/JSON.md ${PROJECT_SOURCE_DIR}/docs/AUDIT.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
