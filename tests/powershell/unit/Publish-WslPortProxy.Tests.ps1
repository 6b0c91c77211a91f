# Unit tests: Publish-WslPortProxy, the fleet's command (Public/Publish-WslPortProxy.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Publish-WslPortProxy' {
    BeforeEach {
        $script:Fleet = Join-Path $TestDrive '_fleet'
        New-Item -ItemType Directory -Path $script:Fleet -Force | Out-Null
        Set-Content -LiteralPath (Join-Path $script:Fleet 'WslPortProxy.Fleet.json') -Value @'
{"SchemaVersion": 1, "Servers": [
    {"Name": "WEB-01", "InstallDirectory": "%ProgramData%\\WslPortProxy", "Start": "logon"},
    {"Name": "WEB-02", "InstallDirectory": "%ProgramData%\\WslPortProxy", "Start": "logon"}
]}
'@
    }

    It 'deploys to the servers named, over sessions opened once, and always closes them' {
        InModuleScope WslPortProxy -Parameters @{ Fleet = $script:Fleet } {
            param($Fleet)
            Mock Open-FleetSession { [pscustomobject]@{ Sessions = @([pscustomobject]@{ ComputerName = 'WEB-02' }); Failed = @{} } }
            Mock Invoke-FleetDeploy { ConvertTo-DeployResult -Server 'WEB-02' -Action 'installed' -ExitCode 0 }
            Mock Get-FleetStatus { }
            Mock Remove-PSSession -RemoveParameterType Session { }
            $results = @(Publish-WslPortProxy -FleetPath $Fleet -ComputerName 'WEB-02' -ThrottleLimit 3)
            $results[0].Action | Should -Be 'installed'
            Should -Invoke Open-FleetSession -Times 1 -Exactly -ParameterFilter { @($ComputerName) -join ',' -eq 'WEB-02' -and $ThrottleLimit -eq 3 }
            Should -Invoke Invoke-FleetDeploy -Times 1 -Exactly -ParameterFilter { @($Server.Name) -join ',' -eq 'WEB-02' -and $FleetPath -eq $Fleet }
            Should -Invoke Get-FleetStatus -Times 0 -Exactly
            Should -Invoke Remove-PSSession -Times 1 -Exactly
        }
    }

    It '-Status gathers the status instead; a failure closes the sessions and is a terminating error' {
        InModuleScope WslPortProxy -Parameters @{ Fleet = $script:Fleet } {
            param($Fleet)
            Mock Open-FleetSession { [pscustomobject]@{ Sessions = @([pscustomobject]@{ ComputerName = 'WEB-01' }); Failed = @{ 'WEB-02' = 'x' } } }
            Mock Get-FleetStatus { throw 'broken' }
            Mock Invoke-FleetDeploy { }
            Mock Remove-PSSession -RemoveParameterType Session { }
            { Publish-WslPortProxy -FleetPath $Fleet -Status } | Should -Throw -ExpectedMessage 'broken'
            Should -Invoke Get-FleetStatus -Times 1 -Exactly -ParameterFilter { $Server.Count -eq 2 }
            Should -Invoke Invoke-FleetDeploy -Times 0 -Exactly
            Should -Invoke Remove-PSSession -Times 1 -Exactly
        }
    }
}
