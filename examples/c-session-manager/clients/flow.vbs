' flow.vbs: the C session manager from VBScript, late bound through IDispatch and the registered type
' library (run by cscript: cscript //nologo flow.vbs locked|open).
'
'   locked   the objects as created: Lock and Key enforced, so every locked member must refuse
'   open     run with Lock and Key turned off (HKCU\Software\Msgrspec\CSessionManager, LockAndKey = 0):
'            the overview's session flow
'
' Scripts cannot pass the lock themselves: IMsgrLock is not an automation interface (no IDispatch), and
' Wine 8.0's script host implements neither WScript.ConnectObject nor WScript.CreateObject with a
' prefix, so no event reaches a script. The expected codes come from codes.txt next to the script (the
' generated header's constants). Every wrong answer prints a FAIL line; the last line says PASS or FAIL
' and the exit code is 0 or 1 (Wine's cscript exits 0 on a script error: the last line then is missing).
Option Explicit
On Error Resume Next

' Windows' own codes as VBScript reports them: it turns some HRESULTs into VB error numbers
Const VB_INVALID_ARGUMENT = 5           ' E_INVALIDARG
Const VB_NOT_IMPLEMENTED = 445          ' E_NOTIMPL
Const VB_CANNOT_CREATE = 429            ' no class behind the ProgID
Const E_FAIL = &H80004005

Const APP_GUID = "{6D7367C1-0003-4C69-656E-747300000003}"
Const OTHER_GUID = "{6D7367C1-0004-4C69-656E-747300000004}"
Const APP_NAME = "msgrspec VBScript client"
Const APP_URL = "http://msgrspec.example/vbscript"
Const APP_PATH = "C:\Program Files\msgrspec\vbscript-client.exe"

Dim checks, failures, codes, mode
checks = 0
failures = 0

Sub Report(what, detail)
    failures = failures + 1
    WScript.Echo "FAIL " & what & ": " & detail
End Sub

' The error the previous statement left, against the one expected (0 for none); clears it.
Sub ExpectError(what, expected)
    Dim got
    got = Err.Number
    Err.Clear
    checks = checks + 1
    If got <> expected Then Report what, "error " & Hex(got) & " (" & got & "), expected " & Hex(expected)
End Sub

Sub ExpectValue(what, ByVal got, ByVal expected)
    checks = checks + 1
    If got <> expected Then Report what, "'" & got & "', expected '" & expected & "'"
End Sub

Function Code(name)
    If Not codes.Exists(name) Then
        Report "codes.txt", "has no " & name
        Code = 1
    Else
        Code = codes(name)
    End If
End Function

Function ReadCodes()
    Dim fso, file, line, parts, value
    On Error Resume Next
    Set ReadCodes = CreateObject("Scripting.Dictionary")
    Set fso = CreateObject("Scripting.FileSystemObject")
    Set file = fso.OpenTextFile(fso.BuildPath(fso.GetParentFolderName(WScript.ScriptFullName), "codes.txt"), 1)
    Do While Not file.AtEndOfStream
        line = file.ReadLine
        parts = Split(line, "=")
        If UBound(parts) = 1 Then
            value = parts(1)
            If Left(value, 2) = "0x" Then value = "&H" & Mid(value, 3)
            ReadCodes.Add parts(0), CLng(value)
        End If
    Loop
    file.Close
End Function

' Each mode makes a known number of checks: a part skipped by an error outside a check is a failure too.
Const LOCKED_CHECKS = 9
Const OPEN_CHECKS = 29

Sub RunLocked()
    Dim manager, messengerPriv, session
    On Error Resume Next  ' error handling is per procedure: each call's error stays for the next check
    Set manager = CreateObject("Msgrspec.MsgrSessionManager")
    ExpectError "CreateObject(Msgrspec.MsgrSessionManager)", 0
    ExpectValue "TypeName of the session manager", TypeName(manager), "IMsgrSessionManager"
    Set messengerPriv = CreateObject("Msgrspec.MessengerPriv")
    ExpectError "CreateObject(Msgrspec.MessengerPriv)", 0
    ExpectValue "TypeName of MessengerPriv", TypeName(messengerPriv), "IMessengerPrivate"
    Set session = CreateObject("Msgrspec.MsgrSession")
    ExpectError "CreateObject of the class that is not creatable", VB_CANNOT_CREATE
    Set session = manager.CreateSession()
    ExpectError "CreateSession while locked", Code("MSGR_E_API_LOCKED")
    manager.RegisterApplication APP_GUID, APP_NAME, APP_URL, APP_PATH, 0
    ExpectError "RegisterApplication while locked", Code("MSGR_E_API_LOCKED")
    manager.UnRegisterApplication APP_GUID
    ExpectError "UnRegisterApplication while locked", Code("MSGR_E_API_LOCKED")
    messengerPriv.AddContact "bob@msgrspec.example", Empty
    ExpectError "AddContact while locked", Code("MSGR_E_API_LOCKED")
    WScript.ConnectObject manager, "Manager_"
    If Err.Number <> 0 Then WScript.Echo "NOTE WScript.ConnectObject: error " & Err.Number & " (the host cannot sink events)"
    Err.Clear
End Sub

Sub RunOpen()
    Dim manager, session, value
    On Error Resume Next
    Set manager = CreateObject("Msgrspec.MsgrSessionManager")
    ExpectError "CreateObject(Msgrspec.MsgrSessionManager)", 0
    manager.RegisterApplication APP_GUID, APP_NAME, APP_URL, APP_PATH, 0
    ExpectError "RegisterApplication", 0
    manager.RegisterApplication APP_GUID, APP_NAME, APP_URL, APP_PATH, 0
    ExpectError "RegisterApplication again", Code("SR_APP_ALREADY_REGISTERED")
    manager.RegisterApplication OTHER_GUID, APP_NAME, APP_URL, APP_PATH, 1
    ExpectError "RegisterApplication with flags", VB_INVALID_ARGUMENT
    manager.RegisterApplication OTHER_GUID, APP_NAME, APP_URL, "vbscript-client.exe", 0
    ExpectError "RegisterApplication with a relative path", E_FAIL
    Set session = manager.CreateSession()
    ExpectError "CreateSession", 0
    ExpectValue "TypeName of the session", TypeName(session), "IMsgrSession"
    value = session.State
    ExpectError "get State", 0
    ExpectValue "State of a new session", value, Code("SS_READY")
    value = session.Flags
    ExpectError "get Flags", 0
    ExpectValue "Flags of a new session", value, Code("SF_INVITER")
    value = session.Application
    ExpectError "get Application before put", Code("SR_APP_NOT_SPECIFIED")
    session.Application = OTHER_GUID
    ExpectError "put Application of an unregistered GUID", Code("SR_APP_NOT_REGISTERED")
    session.Application = APP_GUID
    ExpectError "put Application", 0
    ExpectValue "Application", session.Application, APP_GUID
    ExpectValue "ApplicationName", session.ApplicationName, APP_NAME
    ExpectValue "ApplicationURL", session.ApplicationURL, APP_URL
    ExpectError "get Application, ApplicationName, ApplicationURL", 0
    value = session.SessionID
    ExpectError "get SessionID", 0
    ExpectValue "SessionID length", Len(value), 38
    value = session.RemoteAddress
    ExpectError "get RemoteAddress (S_FALSE is success)", 0
    ExpectValue "RemoteAddress unconnected", value, ""
    Set value = session.User
    ExpectError "get User before an invitation", Code("SR_NO_USER_INVITED")
    session.Accept ""
    ExpectError "Accept on the inviter's session", Code("SR_SESSION_STATE_INVALID")
    session.Decline ""
    ExpectError "Decline on the inviter's session", Code("SR_NOT_INVITEE")
    Set value = manager.GetLaunchingSession(1234)
    ExpectError "GetLaunchingSession", E_FAIL
    Set value = manager.Applications
    ExpectError "Applications", VB_NOT_IMPLEMENTED
    manager.UnRegisterApplication APP_GUID
    ExpectError "UnRegisterApplication", 0
    manager.UnRegisterApplication APP_GUID
    ExpectError "UnRegisterApplication again", Code("SR_APP_NOT_REGISTERED")
End Sub

Set codes = ReadCodes()
ExpectError "reading codes.txt", 0
mode = ""
If WScript.Arguments.Count = 1 Then mode = WScript.Arguments(0)
If mode = "locked" Then
    RunLocked
    ExpectValue "checks made", checks, LOCKED_CHECKS + 1
ElseIf mode = "open" Then
    RunOpen
    ExpectValue "checks made", checks, OPEN_CHECKS + 1
Else
    Report "arguments", "usage: cscript flow.vbs locked|open"
End If
If failures = 0 Then
    WScript.Echo "flow.vbs: PASS (" & mode & "): " & checks & " checks"
    WScript.Quit 0
End If
WScript.Echo "flow.vbs: FAIL (" & mode & "): " & checks & " checks, " & failures & " failed"
WScript.Quit 1
