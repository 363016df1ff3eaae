# chain/contracts.cmake: embeds the compiled contracts (build/contracts/<Name>.json: ABI
# and bytecode, written by chain/contracts/build.sh) in assay_chain as one generated C
# file, so that `assay chain deploy` needs no file beside the binary and decodes reverts
# with the ABI it deploys. Included from chain/CMakeLists.txt.
if(EXISTS ${CMAKE_SOURCE_DIR}/chain/contracts/build.sh)
  set(ASSAY_CONTRACT_NAMES TestToken AssayTimelock Staking BlobRegistry Settlement Disputes)
  set(gen ${CMAKE_BINARY_DIR}/generated/chain_artifacts.c)
  set(jsons)
  foreach(c ${ASSAY_CONTRACT_NAMES})
    list(APPEND jsons ${CMAKE_BINARY_DIR}/contracts/${c}.json)
  endforeach()
  string(REPLACE ";" "," names_arg "${ASSAY_CONTRACT_NAMES}")
  add_custom_command(
    OUTPUT ${gen}
    COMMAND ${CMAKE_COMMAND} -DDIR=${CMAKE_BINARY_DIR}/contracts -DOUT=${gen}
            -DNAMES=${names_arg} -P ${CMAKE_SOURCE_DIR}/chain/contracts_embed.cmake
    DEPENDS ${CMAKE_BINARY_DIR}/contracts/.stamp ${CMAKE_SOURCE_DIR}/chain/contracts_embed.cmake
    COMMENT "Embedding contract ABIs and bytecode"
    VERBATIM)
  target_sources(assay_chain PRIVATE ${gen})
  # The JSON comes from the top-level `contracts` target (defined after this directory).
  add_dependencies(assay_chain contracts)
endif()
