<#
    Logon sessions: who is logged on, and how; session 0.

    Part of the simulated Windows: SimulatedWindows.ps1 (beside this file) loads it.
#>

function global:Set-SimLogonSession {
    <#
        Who is logged on to this Windows, and how (logons.json): account ('DOMAIN\user') -> its logon
        sessions' LogonType, the numbers of Win32_LogonSession (learn.microsoft.com, "Win32_LogonSession
        class"; SECURITY_LOGON_TYPE in ntsecapi.h): 2 Interactive (at the console), 10 RemoteInteractive
        (Remote Desktop), 11 CachedInteractive, 12 CachedRemoteInteractive, 3 Network (WinRM: Ansible,
        Invoke-Command, Publish-WslPortProxy; a share). An account with several sessions: @{ 'CORP\a' = 2, 3 }.
        Replaces every user's sessions; the system's own stay (SYSTEM 0, NETWORK SERVICE 5). -Upn names
        an account's user principal name ('CORP\a' = 'a@corp.example'), by which Task Scheduler knows the
        account too. @{} = nobody is logged on. New-SimulatedWindows: CORP\svc-podman at the console.
    #>
    param([System.Collections.IDictionary] $Session = @{}, [hashtable] $Upn = @{})
    $sessions = [System.Collections.Generic.List[object]]::new()
    $sessions.Add(@{ LogonId = '999'; LogonType = 0; Account = 'NT AUTHORITY\SYSTEM' })
    $sessions.Add(@{ LogonId = '996'; LogonType = 5; Account = 'NT AUTHORITY\NETWORK SERVICE' })
    $id = 310000
    foreach ($account in $Session.Keys) {
        foreach ($type in @($Session[$account])) {
            $id += 17
            $entry = @{ LogonId = "$id"; LogonType = [int] $type; Account = $account }
            if ($Upn.ContainsKey($account)) { $entry.Upn = $Upn[$account] }
            $sessions.Add($entry)
        }
    }
    Write-SimState 'logons.json' @{ sessions = $sessions.ToArray() }
}

function global:Test-SimInteractiveSession {
    <#
        Whether an account (a task principal's UserId: 'DOMAIN\user', or a user principal name) has an
        interactive session: one of LogonType 2, 10, 11 or 12 in logons.json (Set-SimLogonSession).
    #>
    param([string] $Account)
    foreach ($session in @((Read-SimState 'logons.json' @{ sessions = @() }).sessions)) {
        if ([int] $session.LogonType -notin 2, 10, 11, 12) { continue }
        if ($session.Account -eq $Account -or ($session.ContainsKey('Upn') -and $session.Upn -eq $Account)) { return $true }
    }
    return $false
}

function global:Get-SimLogonInstance {
    <#
        The logon sessions of logons.json (Set-SimLogonSession) as CIM instances. Win32_LogonSession
        (learn.microsoft.com, "Win32_LogonSession class"): LogonId (a string, the key), LogonType (uint32);
        -Filter 'LogonType = N OR LogonType = M ...' only. Win32_LoggedOnUser (learn.microsoft.com,
        "Win32_LoggedOnUser class"), the association of an account and its session: Antecedent, a
        Win32_Account reference (its keys Domain and Name), Dependent, a Win32_LogonSession reference
        (its key LogonId); no filter.
    #>
    param([string] $ClassName, [string] $Filter)
    $sessions = @((Read-SimState 'logons.json' @{ sessions = @() }).sessions)
    if ($ClassName -eq 'Win32_LoggedOnUser') {
        if ($Filter) { throw "The simulated Windows has no filter for Win32_LoggedOnUser: $Filter" }
        foreach ($session in $sessions) {
            $domain, $name = $session.Account.Split('\', 2)
            [pscustomobject]@{
                Antecedent = [pscustomobject]@{ Domain = $domain; Name = $name }
                Dependent  = [pscustomobject]@{ LogonId = $session.LogonId }
            }
        }
        return
    }
    $types = $null
    if ($Filter) {
        if ($Filter -notmatch '^\s*LogonType\s*=\s*\d+(\s+OR\s+LogonType\s*=\s*\d+)*\s*$') {
            throw "The simulated Windows filters Win32_LogonSession by 'LogonType = N OR ...' only: $Filter"
        }
        $types = @([regex]::Matches($Filter, '\d+') | ForEach-Object { [int] $_.Value })
    }
    foreach ($session in $sessions) {
        if ($null -eq $types -or [int] $session.LogonType -in $types) {
            [pscustomobject]@{ LogonId = $session.LogonId; LogonType = [uint32] $session.LogonType }
        }
    }
}

function global:Set-SimSession0 {
    <# The task runs before anyone logs on, in session 0: only the WSL package's wsl.exe works there (fakewin.py). #>
    Write-SimState 'session.json' @{ session0 = $true }
}
