; The per-user Windows installer (English and Arabic), built offline with
; Debian's makensis by scripts/windows/installer.sh. Tauri's own NSIS
; bundler downloads its nsis_tauri_utils.dll plugin from GitHub while
; bundling, so this script uses only what ships with NSIS.
;
; makensis -DVERSION=0.1.0 -DBIN=<folder with the .exe and .dll files>
;          -DOUT=<setup.exe> installer.nsi
;
; Installs into %LOCALAPPDATA%\Programs\Fatoora Onboard without elevation;
; user data (%LOCALAPPDATA%\fatoora-onboard\data) and the keys in Credential
; Manager are never touched by the installer or the uninstaller.

Unicode true
SetCompressor /SOLID lzma
RequestExecutionLevel user

!define PRODUCT "Fatoora Onboard"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\FatooraOnboard"
; WebView2 Runtime's client key (per machine, then per user), as Microsoft
; documents for detecting an installed runtime.
!define WEBVIEW2_CLIENT "Software\Microsoft\EdgeUpdate\Clients\{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"

!include "MUI2.nsh"

Name "${PRODUCT}"
OutFile "${OUT}"
InstallDir "$LOCALAPPDATA\Programs\${PRODUCT}"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=0 "ProductName" "${PRODUCT}"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileDescription" "${PRODUCT} installer"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\fatoora-onboard-app.exe"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "Arabic"
!insertmacro MUI_RESERVEFILE_LANGDLL

LangString NoWebView2 ${LANG_ENGLISH} "Fatoora Onboard needs Microsoft Edge WebView2 Runtime, which is not installed. Windows 10 (21H2 and later) and 11 include it; otherwise install the Evergreen Runtime from https://developer.microsoft.com/microsoft-edge/webview2/ before opening the app."
LangString NoWebView2 ${LANG_ARABIC} "يحتاج Fatoora Onboard إلى Microsoft Edge WebView2 Runtime، وهو غير مثبّت. يتضمّنه Windows 10 (الإصدار 21H2 وما بعده) وWindows 11؛ وإلا فثبّت Evergreen Runtime من https://developer.microsoft.com/microsoft-edge/webview2/ قبل فتح التطبيق."

Function .onInit
  !insertmacro MUI_LANGDLL_DISPLAY
FunctionEnd

Function un.onInit
  !insertmacro MUI_UNGETLANGUAGE
FunctionEnd

Section "Install"
  SetOutPath "$INSTDIR"
  File "${BIN}\fatoora-onboard-app.exe"
  File "${BIN}\WebView2Loader.dll"
  File "${BIN}\fatoora-onboard.exe"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortcut "$SMPROGRAMS\${PRODUCT}.lnk" "$INSTDIR\fatoora-onboard-app.exe"

  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "${PRODUCT}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\fatoora-onboard-app.exe"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1

  ; The installer only tells; the app says the same when it starts without
  ; the runtime. Nothing is downloaded here.
  ReadRegStr $0 HKLM "${WEBVIEW2_CLIENT}" "pv"
  StrCmp $0 "" 0 done
  ReadRegStr $0 HKCU "${WEBVIEW2_CLIENT}" "pv"
  StrCmp $0 "" 0 done
  MessageBox MB_ICONINFORMATION|MB_OK "$(NoWebView2)" /SD IDOK
  done:
SectionEnd

Section "Uninstall"
  Delete "$INSTDIR\fatoora-onboard-app.exe"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\fatoora-onboard.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${PRODUCT}.lnk"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
SectionEnd
